import { primariesOf, type RedisClient } from './client';
import { ORDER_KEY_PATTERN } from './keys';

// A cluster spreads keys over its primaries: each is scanned, and each key is then changed
// on its own (a command naming keys of several slots is refused), in one batch per page.
async function eachKey(
  redis: RedisClient,
  pattern: string,
  change: (key: string) => Promise<number>,
): Promise<number> {
  let changed = 0;
  for (const primary of primariesOf(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await primary.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      const results = await Promise.all(keys.map(change));
      changed += results.reduce((sum, n) => sum + n, 0);
    } while (cursor !== '0');
  }
  return changed;
}

/**
 * Drops every cached report and bumps every report generation (never deletes one: a
 * generation going back to an old value could make an old entry valid again).
 */
export async function clearReportCache(redis: RedisClient, prefix: string): Promise<number> {
  const cleared = await eachKey(redis, `${prefix}report:*`, (key) => redis.unlink(key));
  await eachKey(redis, `${prefix}report-gen:*`, async (key) => {
    await redis.incr(key);
    return 1;
  });
  return cleared;
}

/** Drops the hot order copies; reads fall back to Elasticsearch and projections refill them. */
export async function clearOrderSummaries(redis: RedisClient, prefix: string): Promise<number> {
  return eachKey(redis, ORDER_KEY_PATTERN(prefix), (key) => redis.unlink(key));
}
