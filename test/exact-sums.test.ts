import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppRouter } from '../api/client';
import { config } from '../config/env';
import { ordersAlias } from '../projections/elasticsearch/names';
import { readOrderDocument } from '../projections/elasticsearch/write-orders';
import { reconcileMonth } from '../projections/reconcile';
import { startTestApp, type TestApp } from './support/app';
import { waitFor } from './support/wait';

// A month whose sales pass 2^53 minor units: Elasticsearch adds in doubles, so its sum may
// be rounded. The report refuses to answer a rounded number; reconciliation computes the
// month exactly and reports the read model's total as a difference.

const MONTH = '2011-05';
const ORDERS = 10;
const ITEMS = 100;
const QUANTITY = 9_999;
const UNIT_PRICE = 999_999_937;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.stop();
});

describe('sums past 2^53 minor units', () => {
  it('the report fails loudly instead of rounding, and reconciliation shows the exact total', async () => {
    const admin = app.client('admin');
    const region = `exact-${Date.now()}`;
    const completed: { orderId: string; version: number }[] = [];
    for (let n = 0; n < ORDERS; n++) {
      const { orderId } = await admin.orders.place.mutate({
        customerId: 'c-exact',
        region,
        currency: 'CHF',
        items: Array.from({ length: ITEMS }, (_, i) => ({
          productId: `p-exact-${i}`,
          quantity: QUANTITY,
          unitPriceMinor: UNIT_PRICE,
        })),
        at: `${MONTH}-10T10:00:00Z`,
      });
      const done = await admin.orders.complete.mutate({ orderId, at: `${MONTH}-11T10:00:00Z` });
      completed.push({ orderId, version: done.version });
    }
    const exactTotal = BigInt(ORDERS * ITEMS * QUANTITY) * BigInt(UNIT_PRICE);
    expect(exactTotal > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    const alias = ordersAlias(config().ES_INDEX_PREFIX);
    for (const { orderId, version } of completed) {
      await waitFor('projected', async () =>
        (await readOrderDocument(app.connections.es, alias, orderId))?.version === version
          ? true
          : undefined,
      );
    }
    await app.connections.es.indices.refresh({ index: alias });

    const err = await app
      .client('reader')
      .reports.monthly.query({ month: MONTH, currency: 'CHF', region })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCClientError);
    expect((err as TRPCClientError<AppRouter>).data?.code).toBe('UNPROCESSABLE_CONTENT');
    expect((err as Error).message).toMatch(/past 2\^53/);

    const result = await reconcileMonth(
      {
        ...app.connections,
        esPrefix: config().ES_INDEX_PREFIX,
        redisPrefix: config().REDIS_KEY_PREFIX,
        timeZone: config().REPORT_TIMEZONE,
      },
      MONTH,
    );
    const totals = result.differences.find(
      (d) => d.slot === `CHF/${region}` && d.source === 'live' && d.what === 'totals',
    );
    expect(totals?.expected).toContain(`"totalSalesMinor":"${exactTotal}"`);
    expect(totals?.actual).toMatch(/past 2\^53/);
    // Each product stays below 2^53: its line reconciles exactly.
    expect(
      result.differences.filter((d) => d.slot === `CHF/${region}` && d.what.startsWith('product')),
    ).toEqual([]);
  }, 120_000);
});
