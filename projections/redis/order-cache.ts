import type { OrderDocument } from '../elasticsearch';
import type { RedisClient } from './client';
import { orderKey } from './keys';

/** Hot copies of order documents expire; Elasticsearch stays the full read model. */
export const ORDER_TTL_SECONDS = 7 * 24 * 3600;

// Compare-and-set on the version: a duplicate or out-of-order write is a no-op.
const WRITE_IF_NEWER = `
local current = redis.call('HGET', KEYS[1], 'version')
if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'doc', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
`;

export async function writeOrderSummary(
  redis: RedisClient,
  prefix: string,
  doc: OrderDocument,
): Promise<'written' | 'stale'> {
  const written = await redis.eval(
    WRITE_IF_NEWER,
    1,
    orderKey(prefix, doc.orderId),
    String(doc.version),
    JSON.stringify(doc),
    String(ORDER_TTL_SECONDS),
  );
  return written === 1 ? 'written' : 'stale';
}

export async function readOrderSummary(
  redis: RedisClient,
  prefix: string,
  orderId: string,
): Promise<OrderDocument | null> {
  const doc = await redis.hget(orderKey(prefix, orderId), 'doc');
  return doc ? (JSON.parse(doc) as OrderDocument) : null;
}

/**
 * Many orders at once, each with the same compare-and-set. Sent together, not awaited one
 * by one: one round trip to a single Redis, and to each primary of a cluster, where one
 * pipeline could not span the orders' slots.
 */
export async function writeOrderSummaries(
  redis: RedisClient,
  prefix: string,
  docs: OrderDocument[],
): Promise<{ written: number; stale: number }> {
  const results = await Promise.all(docs.map((doc) => writeOrderSummary(redis, prefix, doc)));
  const written = results.filter((r) => r === 'written').length;
  return { written, stale: docs.length - written };
}
