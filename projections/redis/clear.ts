import type { Redis } from 'ioredis';
import { ORDER_KEY_PATTERN } from './keys';

async function scanKeys(
  redis: Redis,
  pattern: string,
  each: (keys: string[]) => Promise<void>,
): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await each(keys);
  } while (cursor !== '0');
}

/**
 * Drops every cached report and bumps every report generation (never deletes one: a
 * generation going back to an old value could make an old entry valid again).
 */
export async function clearReportCache(redis: Redis, prefix: string): Promise<number> {
  let cleared = 0;
  await scanKeys(redis, `${prefix}report:*`, async (keys) => {
    cleared += await redis.unlink(...keys);
  });
  await scanKeys(redis, `${prefix}report-gen:*`, async (keys) => {
    const tx = redis.multi();
    for (const key of keys) tx.incr(key);
    await tx.exec();
  });
  return cleared;
}

/** Drops the hot order copies; reads fall back to Elasticsearch and projections refill them. */
export async function clearOrderSummaries(redis: Redis, prefix: string): Promise<number> {
  let cleared = 0;
  await scanKeys(redis, ORDER_KEY_PATTERN(prefix), async (keys) => {
    cleared += await redis.unlink(...keys);
  });
  return cleared;
}
