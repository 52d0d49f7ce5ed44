import type { Client, estypes } from '@elastic/elasticsearch';
import type { ReportView } from '../report-slot';

export interface MonthlyReportNumbers {
  month: string;
  view: ReportView;
  currency: string;
  region: string | null;
  totals: { orderCount: number; totalQuantity: number; totalSalesMinor: number };
  products: {
    productId: string;
    orderCount: number;
    totalQuantity: number;
    totalSalesMinor: number;
    avgUnitPriceMinor: number;
  }[];
}

export interface ProductSales {
  productId: string;
  orderCount: number;
  totalQuantity: number;
  totalSalesMinor: number;
}

const PRODUCT_PAGE_SIZE = 1000;
const MAX_TOP_PRODUCTS = 100;

// 'YYYY-MM' strings sort like the months they name, so a keyword range selects months.
const monthsBetween = (field: 'reportMonth' | 'refundMonth', from: string, to: string) => ({
  range: { [field]: { gte: from, lte: to } },
});

/**
 * A sum past 2^53 minor units: Elasticsearch adds in doubles, so it may be rounded, and a
 * rounded number must never reach finance as if it were exact.
 */
export class InexactSumError extends Error {
  override name = 'InexactSumError';
}

// Elasticsearch sums in doubles. Every partial sum of non-negative integers stays exact
// while the total is at most 2^53 - 1 (the partial sums only grow), so rounding only
// removes the ".0"; past it the answer is refused instead.
function sumOf(agg: estypes.AggregationsAggregate | undefined): number {
  const value = (agg as estypes.AggregationsSumAggregate | undefined)?.value;
  if (value == null) return 0;
  if (Math.abs(value) > Number.MAX_SAFE_INTEGER) {
    throw new InexactSumError(
      `a sum of ${value} minor units is past 2^53, beyond what the read model adds exactly`,
    );
  }
  return Math.round(value);
}

function docCountOf(agg: estypes.AggregationsAggregate | undefined): number {
  return (agg as estypes.AggregationsSingleBucketAggregateBase | undefined)?.doc_count ?? 0;
}

/** Per-line sums of a product bucket, and the number of orders holding the product. */
const productMetrics: Record<string, estypes.AggregationsAggregationContainer> = {
  quantity: { sum: { field: 'items.quantity' } },
  sales: { sum: { field: 'items.lineTotalMinor' } },
  orders: { reverse_nested: {} },
};

function productSalesOf(
  productId: string,
  bucket: Record<string, estypes.AggregationsAggregate | undefined>,
): ProductSales {
  return {
    productId,
    orderCount: docCountOf(bucket.orders),
    totalQuantity: sumOf(bucket.quantity),
    totalSalesMinor: sumOf(bucket.sales),
  };
}

function bySalesThenId(a: ProductSales, b: ProductSales): number {
  if (a.totalSalesMinor !== b.totalSalesMinor) return b.totalSalesMinor - a.totalSalesMinor;
  return a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0;
}

/** Refunded, cancelled and open orders never count as sales. */
function completedOrders(
  currency: string,
  months: estypes.QueryDslQueryContainer,
  region?: string | null,
): estypes.QueryDslQueryContainer {
  const filter: estypes.QueryDslQueryContainer[] = [
    { term: { status: 'completed' } },
    { term: { currency } },
    months,
  ];
  if (region) filter.push({ term: { region } });
  return { bool: { filter } };
}

function ordersIn(
  currency: string,
  statuses: string[],
  months: estypes.QueryDslQueryContainer,
  region?: string | null,
): estypes.QueryDslQueryContainer {
  const filter: estypes.QueryDslQueryContainer[] = [
    { terms: { status: statuses } },
    { term: { currency } },
    months,
  ];
  if (region) filter.push({ term: { region } });
  return { bool: { filter } };
}

type CompositeBucket = estypes.AggregationsCompositeBucket &
  Record<string, estypes.AggregationsAggregate | undefined>;

interface ReportPart {
  totals: MonthlyReportNumbers['totals'];
  products: ProductSales[];
}

/** Totals and per-product sums of the orders `query` selects. */
async function aggregateOrders(
  es: Client,
  index: string,
  query: estypes.QueryDslQueryContainer,
): Promise<ReportPart> {
  const totals = { orderCount: 0, totalQuantity: 0, totalSalesMinor: 0 };
  const products: ProductSales[] = [];
  let after: estypes.AggregationsCompositeAggregateKey | undefined;
  // Composite paging keeps every response small, however many products were sold.
  for (let page = 0; ; page++) {
    const response = await es.search({
      index,
      size: 0,
      query,
      // Totals come with the first page only; later pages just continue the products.
      track_total_hits: page === 0,
      aggs: {
        ...(page === 0
          ? {
              quantity: { sum: { field: 'totalQuantity' } },
              sales: { sum: { field: 'totalMinor' } },
            }
          : {}),
        items: {
          nested: { path: 'items' },
          aggs: {
            products: {
              composite: {
                size: PRODUCT_PAGE_SIZE,
                sources: [{ productId: { terms: { field: 'items.productId' } } }],
                ...(after ? { after } : {}),
              },
              aggs: productMetrics,
            },
          },
        },
      },
    });
    const aggs = response.aggregations ?? {};
    if (page === 0) {
      const total = response.hits.total;
      totals.orderCount = typeof total === 'number' ? total : (total?.value ?? 0);
      totals.totalQuantity = sumOf(aggs.quantity);
      totals.totalSalesMinor = sumOf(aggs.sales);
    }
    const items = aggs.items as Record<string, estypes.AggregationsAggregate> | undefined;
    const composite = items?.products as estypes.AggregationsCompositeAggregate | undefined;
    const buckets = (composite?.buckets ?? []) as CompositeBucket[];
    for (const bucket of buckets)
      products.push(productSalesOf(String(bucket.key.productId), bucket));
    if (buckets.length < PRODUCT_PAGE_SIZE || !composite?.after_key) break;
    after = composite.after_key;
  }
  return { totals, products };
}

/** Completions of the month minus its refunds, per product (a product of either side). */
function netOf(completions: ReportPart, refunds: ReportPart): ReportPart {
  const byId = new Map<string, ProductSales>();
  for (const p of completions.products) byId.set(p.productId, { ...p });
  for (const r of refunds.products) {
    const p = byId.get(r.productId) ?? {
      productId: r.productId,
      orderCount: 0,
      totalQuantity: 0,
      totalSalesMinor: 0,
    };
    p.orderCount -= r.orderCount;
    p.totalQuantity -= r.totalQuantity;
    p.totalSalesMinor -= r.totalSalesMinor;
    byId.set(p.productId, p);
  }
  const c = completions.totals;
  const r = refunds.totals;
  return {
    totals: {
      orderCount: c.orderCount - r.orderCount,
      totalQuantity: c.totalQuantity - r.totalQuantity,
      totalSalesMinor: c.totalSalesMinor - r.totalSalesMinor,
    },
    products: [...byId.values()],
  };
}

/**
 * The booked view of a month or a range of months: sales completed in it (a refunded order
 * was completed first: it stays a sale of its completion month) minus refunds made in it.
 */
async function bookedPart(
  es: Client,
  index: string,
  currency: string,
  region: string | null | undefined,
  months: { month: string } | { from: string; to: string },
): Promise<ReportPart> {
  const during = (field: 'reportMonth' | 'refundMonth') =>
    'month' in months
      ? { term: { [field]: months.month } }
      : monthsBetween(field, months.from, months.to);
  const [completions, refunds] = await Promise.all([
    aggregateOrders(
      es,
      index,
      ordersIn(currency, ['completed', 'refunded'], during('reportMonth'), region),
    ),
    aggregateOrders(es, index, ordersIn(currency, ['refunded'], during('refundMonth'), region)),
  ]);
  return netOf(completions, refunds);
}

/** The month's sales in the given view, in total and per product. */
export async function computeMonthlyReport(
  es: Client,
  index: string,
  q: { month: string; currency: string; region?: string | null; view?: ReportView },
): Promise<MonthlyReportNumbers> {
  const view = q.view ?? 'restated';
  let part: ReportPart;
  if (view === 'restated') {
    part = await aggregateOrders(
      es,
      index,
      completedOrders(q.currency, { term: { reportMonth: q.month } }, q.region),
    );
  } else {
    part = await bookedPart(es, index, q.currency, q.region, { month: q.month });
  }
  return {
    month: q.month,
    view,
    currency: q.currency,
    region: q.region ?? null,
    totals: part.totals,
    products: part.products.sort(bySalesThenId).map((p) => ({
      ...p,
      avgUnitPriceMinor:
        p.totalQuantity === 0 ? 0 : Math.round(p.totalSalesMinor / p.totalQuantity),
    })),
  };
}

/**
 * The best-selling products over [fromMonth, toMonth], both inclusive, in every region or
 * one. Restated (default): orders completed in the range and not refunded. Booked: sales
 * completed in the range minus refunds made in it, so a refund outside the range leaves its
 * sale in, and one inside takes it out again.
 */
export async function computeTopProducts(
  es: Client,
  index: string,
  q: {
    fromMonth: string;
    toMonth: string;
    currency: string;
    region?: string | null;
    limit: number;
    view?: ReportView;
  },
): Promise<ProductSales[]> {
  if (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > MAX_TOP_PRODUCTS) {
    throw new RangeError(`limit must be an integer from 1 to ${MAX_TOP_PRODUCTS}, got ${q.limit}`);
  }
  if (q.view === 'booked') return topBookedProducts(es, index, { ...q, view: 'booked' });
  const months = monthsBetween('reportMonth', q.fromMonth, q.toMonth);
  const response = await es.search({
    index,
    size: 0,
    query: completedOrders(q.currency, months, q.region),
    aggs: {
      items: {
        nested: { path: 'items' },
        aggs: {
          products: {
            // One shard sees every order, so the top `limit` is exact, not an estimate.
            terms: {
              field: 'items.productId',
              size: q.limit,
              order: [{ sales: 'desc' }, { _key: 'asc' }],
            },
            aggs: productMetrics,
          },
        },
      },
    },
  });
  const items = response.aggregations?.items as
    | Record<string, estypes.AggregationsAggregate>
    | undefined;
  const terms = items?.products as estypes.AggregationsStringTermsAggregate | undefined;
  const buckets = (terms?.buckets ?? []) as (estypes.AggregationsStringTermsBucket &
    Record<string, estypes.AggregationsAggregate | undefined>)[];
  return buckets.map((b) => productSalesOf(String(b.key), b)).sort(bySalesThenId);
}

/**
 * A product's booked net can rank anywhere once its refunds are taken off, so neither side's
 * top N bounds the answer: both sides are read whole (composite pages) and netted exactly.
 */
async function topBookedProducts(
  es: Client,
  index: string,
  q: Parameters<typeof computeTopProducts>[2],
): Promise<ProductSales[]> {
  const part = await bookedPart(es, index, q.currency, q.region, {
    from: q.fromMonth,
    to: q.toMonth,
  });
  return part.products.sort(bySalesThenId).slice(0, q.limit);
}

/**
 * Every (currency, region) with sales in the month in either view (completed in it, or
 * refunded in it), plus each currency's all-regions slot.
 */
export async function slotsWithOrders(
  es: Client,
  ordersIndex: string,
  month: string,
): Promise<{ month: string; currency: string; region: string | null }[]> {
  const res = await es.search({
    index: ordersIndex,
    size: 0,
    query: {
      bool: {
        should: [
          {
            bool: {
              filter: [
                { terms: { status: ['completed', 'refunded'] } },
                { term: { reportMonth: month } },
              ],
            },
          },
          { term: { refundMonth: month } },
        ],
        minimum_should_match: 1,
      },
    },
    aggs: {
      currencies: {
        terms: { field: 'currency', size: 1000 },
        aggs: { regions: { terms: { field: 'region', size: 10_000 } } },
      },
    },
  });
  type Buckets = { buckets: { key: string; regions: { buckets: { key: string }[] } }[] };
  const currencies =
    (res.aggregations?.currencies as unknown as Buckets | undefined)?.buckets ?? [];
  return currencies.flatMap((c) => [
    { month, currency: c.key, region: null },
    ...c.regions.buckets.map((r) => ({ month, currency: c.key, region: r.key })),
  ]);
}
