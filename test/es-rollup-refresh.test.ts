// A month's rollup and retention make their writes searchable themselves: they never wait for
// Elasticsearch's periodic refresh (`refresh_interval`, 1 s by default, often raised on busy
// clusters, -1 turns it off). Here it is off on both indices of the file's own read model:
// a step that waited for it would never end.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReportActivities } from '../activities/report-activities';
import { config } from '../config/env';
import {
  bulkWriteOrderDocuments,
  ensureOrdersIndex,
  ensureReportsIndex,
  ordersAlias,
  readRollup,
  reportsIndexName,
} from '../projections/elasticsearch';
import { testPool } from './support/db';
import { esTestFile, orderDoc } from './support/es-test-documents';

const { es, prefix } = esTestFile();
const redisPrefix = `${config().REDIS_KEY_PREFIX}${prefix}`;
const redis = new Redis(config().REDIS_URL);
const pool = testPool(2);
afterAll(async () => {
  redis.disconnect();
  await pool.end();
});

const MONTH = '2016-02';
/**
 * Far beyond a rollup of this month (under a second at once, about 15 s if it waited for each
 * refresh at the default interval), where one waiting for a refresh that never comes hangs.
 */
const BOUND_MS = 20_000;

async function within<T>(what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not end within ${BOUND_MS} ms`)),
      BOUND_MS,
    );
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

const activities = () =>
  createReportActivities({ pool, es, redis, esPrefix: prefix, redisPrefix, reportTimeZone: 'UTC' });

/** The product documents of the month's rollups, every set and view, as searches see them. */
async function productDocs(): Promise<number> {
  const res = await es.count({
    index: reportsIndexName(prefix),
    query: { bool: { filter: [{ term: { kind: 'product' } }, { term: { period: MONTH } }] } },
  });
  return res.count;
}

describe('rollups and retention with the periodic refresh turned off', () => {
  beforeAll(async () => {
    await ensureOrdersIndex(es, prefix);
    await ensureReportsIndex(es, prefix);
    const docs = ['eu', 'us'].map((region, i) =>
      orderDoc({
        orderId: `o-refresh-${i}`,
        region,
        currency: 'EUR',
        status: 'completed',
        placedAt: `${MONTH}-03T08:00:00.000Z`,
        completedAt: `${MONTH}-04T12:00:00.000Z`,
        items: [{ productId: `p-refresh-${i}`, quantity: 2, unitPriceMinor: 1_000 + i }],
      }),
    );
    await bulkWriteOrderDocuments(es, ordersAlias(prefix), docs, { refresh: true });
    await es.indices.putSettings({
      index: [reportsIndexName(prefix), ordersAlias(prefix)],
      settings: { index: { refresh_interval: '-1' } },
    });
  });

  it('rolling a month up, again and again, ends; each run replaces the sets it supersedes', async () => {
    // Given the month's two regions (three slots, two views each)
    // When it is rolled up three times (the third deletes the first's product sets)
    for (let run = 1; run <= 3; run++) {
      const summary = await within(`rollup ${run}`, activities().rollupMonth({ month: MONTH }));
      expect(summary).toMatchObject({ month: MONTH, slots: 3, products: 4 });
    }
    // Then the rollup is served, and searches see the current and the previous set only
    const rolled = await readRollup(es, prefix, { month: MONTH, currency: 'EUR', region: null });
    expect(rolled?.totals).toEqual({ orderCount: 2, totalQuantity: 4, totalSalesMinor: 4_002 });
    // Per slot and view: its current set and the previous one (three slots, two views).
    expect(await productDocs()).toBe(2 * (2 + 1 + 1) * 2);
  });

  it('retention deletes page by page and ends', async () => {
    // Given the rolled-up month (the test above), When retention cuts off after it
    const removed = await within(
      'retention',
      activities().applyRetention({ cutoffMonth: '2016-03' }),
    );
    // Then its orders and report documents are gone, as searches see them
    expect(removed.orders).toBe(2);
    expect(removed.reportDocs).toBeGreaterThan(0);
    expect(await productDocs()).toBe(0);
  });
});
