import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRebuildActivities } from '../activities/rebuild-activities';
import { createReportActivities } from '../activities/report-activities';
import { config } from '../config/env';
import { EventStore, type GlobalCheckpoint, START } from '../eventstore';
import { currentOrdersIndex } from '../projections/elasticsearch';
import { parkProjection } from '../temporal/projectors';
import { REBUILD_BATCH_SIZE } from '../workflows/rebuild-read-model';
import { startTestApp, type TestApp } from './support/app';

// The rebuild's steps are run here one by one with its real activities, against the live
// projector of this app, so an order can be committed at a chosen moment: after the copy's
// last read, projected live before the swap.
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp(['commands', 'projections']);
});
afterAll(async () => {
  await app?.stop();
});

const MONTH = '2002-11';
const CURRENCY = 'BND';

function fixtures() {
  const { pool, es, redis, temporal } = app.connections;
  const { ES_INDEX_PREFIX, REDIS_KEY_PREFIX, REPORT_TIMEZONE } = config();
  const deps = {
    pool,
    es,
    redis,
    esPrefix: ES_INDEX_PREFIX,
    redisPrefix: REDIS_KEY_PREFIX,
    reportTimeZone: REPORT_TIMEZONE,
  };
  return {
    rebuild: createRebuildActivities({
      ...deps,
      store: new EventStore(pool),
      parkProjection: (readModel, orderId, reason) =>
        parkProjection(temporal, { readModel, orderId, reason }),
    }),
    reports: createReportActivities(deps),
  };
}

/** Places and completes an order in MONTH (admin: back-dated), answering its last position. */
async function completedOrder(customerId: string): Promise<{ orderId: string; position: number }> {
  const admin = app.client('admin');
  const { orderId } = await admin.orders.place.mutate({
    customerId,
    region: 'eu',
    currency: CURRENCY,
    items: [{ productId: 'p-handover', quantity: 2, unitPriceMinor: 1_000 }],
    at: `${MONTH}-10T10:00Z`,
  });
  const { position } = await admin.orders.complete.mutate({ orderId, at: `${MONTH}-11T10:00Z` });
  return { orderId, position };
}

async function search(customerId: string, minPosition: number) {
  const page = await app.client('reader').orders.search.query({ customerId, minPosition });
  return { stale: page.stale, orderIds: page.items.map((o) => o.orderId) };
}

describe('a rebuild handing over to the live projector', () => {
  it('never lets the live checkpoint promise what the swapped-in index lacks: read-your-writes and a rollup in the window see every order', async () => {
    const { rebuild, reports } = fixtures();
    const first = await completedOrder('c-handover-copied');
    expect(await search('c-handover-copied', first.position)).toEqual({
      stale: false,
      orderIds: [first.orderId],
    });

    // The copy, as the workflow runs it, up to its short page.
    const index = await rebuild.createRebuildIndex();
    let after: GlobalCheckpoint = START;
    for (;;) {
      const batch = await rebuild.rebuildBatch({ index, after, limit: REBUILD_BATCH_SIZE });
      after = batch.checkpoint;
      if (batch.events < REBUILD_BATCH_SIZE) break;
    }

    // Committed after the copy's last read, and projected live before the swap.
    const late = await completedOrder('c-handover-late');
    expect(await search('c-handover-late', late.position)).toEqual({
      stale: false,
      orderIds: [late.orderId],
    });

    const swap = await rebuild.swapToRebuiltIndex(index, { force: false, checkpoint: after });
    expect(await currentOrdersIndex(app.connections.es, config().ES_INDEX_PREFIX)).toBe(index);

    // Between the swap and the end of the catch-up: the projector's checkpoint has passed
    // the late order, so an answer that is not stale must hold it.
    const inWindow = await search('c-handover-late', late.position);
    expect.soft(inWindow.stale ? 'stale' : inWindow.orderIds).toEqual([late.orderId]);
    // A rollup of its month in the window.
    await reports.rollupMonth({ month: MONTH });

    // The catch-up to the watermark, then the end of the rebuild, as the workflow runs them.
    for (;;) {
      const batch = await rebuild.rebuildBatch({ index, after, limit: REBUILD_BATCH_SIZE });
      after = batch.checkpoint;
      if (batch.events < REBUILD_BATCH_SIZE && BigInt(batch.horizon) >= BigInt(swap.watermark))
        break;
    }
    await rebuild.dropIndices(swap.previous);
    await rebuild.clearRedisReadModel('reports');

    // The closed month is answered from its rollup: both orders in it.
    const report = await app
      .client('reader')
      .reports.monthly.query({ month: MONTH, currency: CURRENCY });
    expect(report.source).toBe('rollup');
    expect(report.totals).toEqual({ orderCount: 2, totalQuantity: 4, totalSalesMinor: 4_000 });
  }, 120_000);
});
