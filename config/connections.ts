import { Client as EsClient } from '@elastic/elasticsearch';
import type { Client as TemporalClient } from '@temporalio/client';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { createPool } from '../eventstore/pool';
import { closeTemporalClient, createTemporalClient } from '../temporal/client';
import { config } from './env';

export interface Connections {
  pool: pg.Pool;
  redis: Redis;
  es: EsClient;
  temporal: TemporalClient;
  close(): Promise<void>;
}

/** Clients for the four servers, from the configuration. None fails if a server is down. */
export async function openConnections(): Promise<Connections> {
  const c = config();
  const pool = createPool(c.DATABASE_URL, c.DATABASE_POOL_SIZE);
  // Commands never wait on Redis: fail fast instead of queueing while it is down.
  const redis = new Redis(c.REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
  });
  redis.on('error', () => undefined);
  redis.connect().catch(() => undefined);
  const es = new EsClient({ node: c.ELASTICSEARCH_URL, requestTimeout: 10_000 });
  const temporal = await createTemporalClient();
  return {
    pool,
    redis,
    es,
    temporal,
    async close() {
      await Promise.allSettled([pool.end(), es.close(), closeTemporalClient(temporal)]);
      redis.disconnect();
    },
  };
}
