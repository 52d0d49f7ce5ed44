// Reports computed by Elasticsearch aggregations over the orders read model, checked against
// a reference computed by plain integer arithmetic over the same documents.
import { beforeAll, describe, expect, it } from 'vitest';
import type { OrderStatus } from '../domain';
import type { OrderDocument } from '../projections/elasticsearch';
import {
  bulkWriteOrderDocuments,
  computeMonthlyReport,
  computeTopProducts,
  ensureOrdersIndex,
  type MonthlyReportNumbers,
  ordersAlias,
} from '../projections/elasticsearch';
import { esTestFile, orderDoc, seeded } from './support/es-test-documents';

const { es, prefix } = esTestFile();

type ProductNumbers = MonthlyReportNumbers['products'][number];

/** The report the spec asks for, by plain integer arithmetic over the documents. */
function referenceReport(
  docs: OrderDocument[],
  q: { month: string; currency: string; region?: string | null },
): MonthlyReportNumbers {
  const counted = docs.filter(
    (d) =>
      d.status === 'completed' &&
      d.reportMonth === q.month &&
      d.currency === q.currency &&
      (!q.region || d.region === q.region),
  );
  return {
    month: q.month,
    view: 'restated',
    currency: q.currency,
    region: q.region ?? null,
    totals: {
      orderCount: counted.length,
      totalQuantity: counted.reduce((sum, d) => sum + d.totalQuantity, 0),
      totalSalesMinor: counted.reduce((sum, d) => sum + d.totalMinor, 0),
    },
    products: productNumbers(counted).map((p) => ({
      ...p,
      avgUnitPriceMinor:
        p.totalQuantity === 0 ? 0 : Math.round(p.totalSalesMinor / p.totalQuantity),
    })),
  };
}

function productNumbers(docs: OrderDocument[]): Omit<ProductNumbers, 'avgUnitPriceMinor'>[] {
  const byProduct = new Map<string, { orders: Set<string>; quantity: number; sales: number }>();
  for (const d of docs) {
    for (const line of d.items) {
      const p = byProduct.get(line.productId) ?? { orders: new Set(), quantity: 0, sales: 0 };
      p.orders.add(d.orderId);
      p.quantity += line.quantity;
      p.sales += line.lineTotalMinor;
      byProduct.set(line.productId, p);
    }
  }
  return [...byProduct]
    .map(([productId, p]) => ({
      productId,
      orderCount: p.orders.size,
      totalQuantity: p.quantity,
      totalSalesMinor: p.sales,
    }))
    .sort((a, b) =>
      a.totalSalesMinor !== b.totalSalesMinor
        ? b.totalSalesMinor - a.totalSalesMinor
        : a.productId < b.productId
          ? -1
          : 1,
    );
}

describe('reports', () => {
  const p = `${prefix}report-`;
  let alias: string;
  const docs: OrderDocument[] = [];
  const months = ['2025-10', '2025-11'];
  const currencies = ['EUR', 'USD'];
  const regions = ['eu', 'us'];

  beforeAll(async () => {
    await ensureOrdersIndex(es, p);
    alias = ordersAlias(p);
    const rand = seeded(20251031);
    const statuses: OrderStatus[] = ['placed', 'completed', 'completed', 'cancelled', 'refunded'];
    for (let i = 0; i < 200; i++) {
      const month = rand.pick(months);
      const day = String(1 + rand.int(28)).padStart(2, '0');
      docs.push(
        orderDoc({
          orderId: `o-${i}`,
          region: rand.pick(regions),
          currency: rand.pick(currencies),
          status: rand.pick(statuses),
          placedAt: `${month}-${day}T08:00:00.000Z`,
          completedAt: `${month}-${day}T12:00:00.000Z`,
          // Up to 10^9 per unit: sums go far beyond 32 bits and must stay exact.
          items: Array.from({ length: 1 + rand.int(4) }, () => ({
            productId: `p-${String(rand.int(30)).padStart(2, '0')}`,
            quantity: 1 + rand.int(20),
            unitPriceMinor: rand.int(8) === 0 ? 1_000_000_000 - rand.int(1000) : rand.int(100_000),
          })),
        }),
      );
    }
    await bulkWriteOrderDocuments(es, alias, docs);
    await es.indices.refresh({ index: alias });
  });

  it('monthly report equals the reference for every month, currency and region', async () => {
    let reportsWithSales = 0;
    for (const month of months) {
      for (const currency of currencies) {
        for (const region of [null, ...regions]) {
          const q = { month, currency, region };
          const report = await computeMonthlyReport(es, alias, q);
          expect(report).toEqual(referenceReport(docs, q));
          if (report.totals.orderCount > 0) reportsWithSales++;
        }
      }
    }
    expect(reportsWithSales).toBe(12);
    const noRegion = await computeMonthlyReport(es, alias, { month: '2025-10', currency: 'EUR' });
    expect(noRegion.region).toBeNull();
    expect(noRegion).toEqual(referenceReport(docs, { month: '2025-10', currency: 'EUR' }));
  });

  it('monthly report of a month without sales is empty', async () => {
    expect(await computeMonthlyReport(es, alias, { month: '2024-01', currency: 'EUR' })).toEqual({
      month: '2024-01',
      view: 'restated',
      currency: 'EUR',
      region: null,
      totals: { orderCount: 0, totalQuantity: 0, totalSalesMinor: 0 },
      products: [],
    });
  });

  it('top products equal the reference over one and several months', async () => {
    const completedIn = (from: string, to: string, currency: string) =>
      docs.filter(
        (d) =>
          d.status === 'completed' &&
          d.currency === currency &&
          d.reportMonth !== null &&
          d.reportMonth >= from &&
          d.reportMonth <= to,
      );
    for (const [from, to] of [
      ['2025-10', '2025-10'],
      ['2025-11', '2025-11'],
      ['2025-09', '2025-12'],
    ] as const) {
      for (const currency of currencies) {
        for (const limit of [1, 5, 100]) {
          const top = await computeTopProducts(es, alias, {
            fromMonth: from,
            toMonth: to,
            currency,
            limit,
          });
          expect(top).toEqual(productNumbers(completedIn(from, to, currency)).slice(0, limit));
        }
      }
    }
    await expect(
      computeTopProducts(es, alias, {
        fromMonth: '2025-10',
        toMonth: '2025-11',
        currency: 'EUR',
        limit: 101,
      }),
    ).rejects.toThrow(RangeError);
  });

  it('top products break ties by productId, also at the limit', async () => {
    const tied = ['t-c', 't-a', 't-b'].map((productId, i) =>
      orderDoc({
        orderId: `o-tie-${i}`,
        currency: 'CHF',
        status: 'completed',
        items: [{ productId, quantity: 2, unitPriceMinor: 500 }],
      }),
    );
    await bulkWriteOrderDocuments(es, alias, tied);
    await es.indices.refresh({ index: alias });
    const q = { fromMonth: '2025-10', toMonth: '2025-10', currency: 'CHF' };
    const top = await computeTopProducts(es, alias, { ...q, limit: 2 });
    expect(top.map((t) => t.productId)).toEqual(['t-a', 't-b']);
    expect(top[0]).toEqual({
      productId: 't-a',
      orderCount: 1,
      totalQuantity: 2,
      totalSalesMinor: 1000,
    });
  });
});

describe('monthly report with more products than one composite page', () => {
  it('counts all 1,200 products exactly', async () => {
    const p = `${prefix}many-`;
    await ensureOrdersIndex(es, p);
    const alias = ordersAlias(p);
    const rand = seeded(1200);
    const product = (n: number) => `sku-${String(n).padStart(4, '0')}`;
    const docs: OrderDocument[] = [];
    // Every product at least once (8 lines an order), then repeats across orders.
    for (let i = 0; i < 150; i++) {
      docs.push(
        orderDoc({
          orderId: `o-cover-${i}`,
          status: 'completed',
          items: Array.from({ length: 8 }, (_, k) => ({
            productId: product(i * 8 + k),
            quantity: 1 + rand.int(9),
            unitPriceMinor: 1 + rand.int(50_000),
          })),
        }),
      );
    }
    for (let i = 0; i < 100; i++) {
      docs.push(
        orderDoc({
          orderId: `o-extra-${i}`,
          status: rand.pick(['completed', 'refunded'] as const),
          items: Array.from({ length: 1 + rand.int(10) }, () => ({
            productId: product(rand.int(1200)),
            quantity: 1 + rand.int(9),
            unitPriceMinor: 1 + rand.int(50_000),
          })),
        }),
      );
    }
    expect(await bulkWriteOrderDocuments(es, alias, docs)).toEqual({
      written: 250,
      stale: 0,
      rejected: [],
    });
    await es.indices.refresh({ index: alias });

    const q = { month: '2025-10', currency: 'EUR' };
    const report = await computeMonthlyReport(es, alias, q);
    expect(report.products).toHaveLength(1200);
    expect(report).toEqual(referenceReport(docs, q));
  });
});
