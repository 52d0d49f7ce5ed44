import type { Client as EsClient } from '@elastic/elasticsearch';
import type { OrderDocument } from '../projections/elasticsearch';
import { ordersAlias, readOrderDocument } from '../projections/elasticsearch';
import type { RedisClient } from '../projections/redis';
import { readOrderSummary } from '../projections/redis';
import { logger } from '../runtime/logger';

export interface ReadModelDeps {
  es: EsClient;
  redis: RedisClient;
  esPrefix: string;
  redisPrefix: string;
  /** IANA zone deciding which months are closed (served from rollups). */
  reportTimeZone: string;
}

/** How long `orders.get` with `minVersion` waits for the read model to catch up. */
export const READ_YOUR_WRITES_WAIT_MS = 2_000;
const POLL_MS = 40;

async function fromRedis(deps: ReadModelDeps, orderId: string): Promise<OrderDocument | null> {
  try {
    return await readOrderSummary(deps.redis, deps.redisPrefix, orderId);
  } catch (err) {
    // Redis is a cache: when it is down the answer comes from Elasticsearch.
    logger.debug({ err }, 'redis unavailable, reading the order from elasticsearch');
    return null;
  }
}

/** The freshest copy of an order: Redis when it is recent enough, else Elasticsearch. */
async function readOnce(
  deps: ReadModelDeps,
  orderId: string,
  minVersion: number,
): Promise<OrderDocument | null> {
  const hot = await fromRedis(deps, orderId);
  if (hot && hot.version >= minVersion) return hot;
  const doc = await readOrderDocument(deps.es, ordersAlias(deps.esPrefix), orderId);
  if (!doc) return hot;
  return hot && hot.version > doc.version ? hot : doc;
}

/**
 * An order from the read models. With `minVersion` (read-your-writes), waits up to
 * READ_YOUR_WRITES_WAIT_MS for that version, then answers with what it has and `stale`.
 */
export async function getOrder(
  deps: ReadModelDeps,
  orderId: string,
  minVersion?: number,
  signal?: AbortSignal,
): Promise<{ order: OrderDocument; stale: boolean } | null> {
  const wanted = minVersion ?? 0;
  const deadline = Date.now() + READ_YOUR_WRITES_WAIT_MS;
  for (;;) {
    const doc = await readOnce(deps, orderId, wanted);
    if (doc && doc.version >= wanted) return { order: doc, stale: false };
    if (minVersion === undefined || Date.now() >= deadline || signal?.aborted)
      return doc ? { order: doc, stale: true } : null;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
