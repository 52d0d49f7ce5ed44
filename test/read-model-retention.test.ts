import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReportActivities } from '../activities/report-activities';
import { config } from '../config/env';
import {
  computeMonthlyReport,
  ordersAlias,
  readOrderDocument,
  readRollup,
} from '../projections/elasticsearch';
import { taskQueue } from '../temporal/task-queues';
import type { monthlyRollupWorkflow } from '../workflows/reports';
import { startTestApp, type TestApp } from './support/app';
import { waitFor } from './support/wait';

// Retention of the read models (READ_MODEL_RETENTION_MONTHS): the retention activity on
// real Elasticsearch and Redis, with rollups on both sides of the cutoff.

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.stop();
});

const deps = () => ({
  ...app.connections,
  esPrefix: config().ES_INDEX_PREFIX,
  redisPrefix: config().REDIS_KEY_PREFIX,
  reportTimeZone: 'UTC',
});

async function rollup(month: string) {
  return app.connections.temporal.workflow.execute<typeof monthlyRollupWorkflow>(
    'monthlyRollupWorkflow',
    {
      workflowId: `test-retention-rollup-${month}-${Date.now()}`,
      taskQueue: taskQueue('commands'),
      args: [{ timeZone: 'UTC', month }],
    },
  );
}

describe('read-model retention', () => {
  it('retention removes read-model data older than the limit, keeps what changed since or is at the limit, never events', async () => {
    const admin = app.client('admin');
    const cutoffMonth = '2020-01';
    const cutoff = `${cutoffMonth}-01T00:00:00.000Z`;
    const justBefore = '2019-12-31T23:59:59.999Z';
    const order = async (placedAt: string, then?: (orderId: string) => Promise<unknown>) => {
      const { orderId } = await admin.orders.place.mutate({
        customerId: 'c-ret',
        region: 'x',
        currency: 'BGN',
        items: [{ productId: 'p-ret', quantity: 1, unitPriceMinor: 100 }],
        at: placedAt,
      });
      await then?.(orderId);
      return orderId;
    };
    const complete = (at: string) => (orderId: string) =>
      admin.orders.complete.mutate({ orderId, at });
    const expired = await Promise.all([
      order('2019-03-05T08:00:00Z'),
      order('2019-03-05T08:00:00Z', complete('2019-03-06T08:00:00Z')),
      order(justBefore, complete(justBefore)),
      order('2019-03-05T08:00:00Z', async (orderId) => {
        await complete('2019-03-06T08:00:00Z')(orderId);
        await admin.orders.refund.mutate({ orderId, reason: 'old', at: '2019-04-01T00:00:00Z' });
      }),
    ]);
    const kept = await Promise.all([
      // Old orders whose last change is at or after the cutoff.
      order('2019-03-05T08:00:00Z', complete(cutoff)),
      order('2019-03-05T08:00:00Z', (orderId) =>
        admin.orders.cancel.mutate({ orderId, reason: 'now' }),
      ),
      order('2019-03-05T08:00:00Z', async (orderId) => {
        await complete('2019-03-06T08:00:00Z')(orderId);
        await admin.orders.refund.mutate({ orderId, reason: 'late', at: '2024-08-10T00:00:00Z' });
      }),
      // Recent ones.
      order('2024-08-05T08:00:00Z'),
      order('2024-08-05T08:00:00Z', complete('2024-08-06T08:00:00Z')),
    ]);
    const alias = ordersAlias(config().ES_INDEX_PREFIX);
    const versions = new Map<string, number>();
    for (const orderId of [...expired, ...kept]) {
      const { rows } = await app.connections.pool.query<{ version: number }>(
        'select version from streams where stream_id = $1',
        [`order-${orderId}`],
      );
      versions.set(orderId, rows[0]?.version ?? 0);
    }
    await waitFor(
      'orders projected',
      async () => {
        for (const [orderId, version] of versions) {
          const doc = await readOrderDocument(app.connections.es, alias, orderId);
          if ((doc?.version ?? 0) < version) return undefined;
        }
        return true;
      },
      60_000,
      200,
    );
    await app.connections.es.indices.refresh({ index: alias });
    // Rollups of the month before the cutoff and of the cutoff month.
    for (const month of ['2019-12', cutoffMonth]) await rollup(month);
    const slot = (month: string) => ({ month, currency: 'BGN', region: null });
    const prefix = config().ES_INDEX_PREFIX;
    const rolledBefore = await readRollup(app.connections.es, prefix, slot(cutoffMonth));
    expect(rolledBefore?.totals).toMatchObject({ orderCount: 1 });
    expect(await readRollup(app.connections.es, prefix, slot('2019-12'))).not.toBeNull();

    const acts = createReportActivities(deps());
    const removed = await acts.applyRetention({ cutoffMonth });
    // Other files may have left older documents too (the fuzz writes year 0001).
    expect(removed.orders).toBeGreaterThanOrEqual(expired.length);
    expect(removed.reportDocs).toBeGreaterThan(0);
    for (const orderId of expired) {
      expect(await readOrderDocument(app.connections.es, alias, orderId), orderId).toBeNull();
    }
    for (const orderId of kept) {
      expect((await readOrderDocument(app.connections.es, alias, orderId))?.version, orderId).toBe(
        versions.get(orderId),
      );
    }
    expect(await readRollup(app.connections.es, prefix, slot('2019-12'))).toBeNull();
    const atCutoff = await readRollup(app.connections.es, prefix, slot(cutoffMonth));
    expect({ totals: atCutoff?.totals, products: atCutoff?.products }).toEqual({
      totals: rolledBefore?.totals,
      products: rolledBefore?.products,
    });
    // The event store keeps every event of every order, expired or not.
    const { rows } = await app.connections.pool.query<{ stream_id: string; n: number }>(
      'select stream_id, count(*)::int as n from events where stream_id = any($1) group by stream_id',
      [[...versions.keys()].map((id) => `order-${id}`)],
    );
    expect(new Map(rows.map((r) => [r.stream_id.slice('order-'.length), r.n]))).toEqual(versions);
    const live = await computeMonthlyReport(app.connections.es, alias, {
      month: '2024-08',
      currency: 'BGN',
    });
    expect(live.totals).toMatchObject({ orderCount: 1, totalSalesMinor: 100 });
  });
});
