import { Client as EsClient } from '@elastic/elasticsearch';
import type { Client as TemporalClient } from '@temporalio/client';
import type pg from 'pg';
import {
  elasticsearchOptions,
  redisNodeOptions,
  redisTlsOptions,
  redisTopology,
} from '../config/client-options';
import { config } from '../config/env';
import { createPool, type IdleClientError } from '../eventstore/pool';
import { connectRedis, type RedisClient } from '../projections/redis';
import { logger } from '../runtime/logger';
import { closeTemporalClient, createTemporalClient } from './client';

export interface Connections {
  pool: pg.Pool;
  redis: RedisClient;
  es: EsClient;
  temporal: TemporalClient;
  close(): Promise<void>;
}

/**
 * Who opens the connections: the API answers callers within deadlines, so its statements
 * are bounded short; workers and scripts run long statements legitimately.
 */
export type ConnectionRole = 'api' | 'worker';

/** One line per idle client that lost its connection: the message and code, never the URL. */
export function logIdlePoolError(pgError: IdleClientError): void {
  logger.warn({ pgError }, 'idle postgres client failed');
}

/** The event store's pool, with the connect and statement timeouts of `role`. */
export function openPool(role: ConnectionRole): pg.Pool {
  const c = config();
  return createPool(c.DATABASE_URL, c.DATABASE_POOL_SIZE, {
    connectTimeoutMs: c.DATABASE_CONNECT_TIMEOUT_MS,
    statementTimeoutMs:
      role === 'api' ? c.DATABASE_STATEMENT_TIMEOUT_MS : c.DATABASE_WORKER_STATEMENT_TIMEOUT_MS,
    onIdleError: logIdlePoolError,
  });
}

/** Clients for the four servers, from the configuration. None fails if a server is down. */
export async function openConnections(role: ConnectionRole = 'worker'): Promise<Connections> {
  const c = config();
  const pool = openPool(role);
  // Commands never wait on Redis: fail fast instead of queueing while it is down.
  const topology = redisTopology(c);
  const redis = connectRedis(topology, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: c.REDIS_CONNECT_TIMEOUT_MS,
    commandTimeout: c.REDIS_COMMAND_TIMEOUT_MS,
    // A URL carries its own credentials; nodes found through a cluster or Sentinels do not.
    ...(topology.kind === 'single' ? redisTlsOptions(c) : redisNodeOptions(c)),
  });
  redis.on('error', () => undefined);
  redis.connect().catch(() => undefined);
  const es = new EsClient({
    ...elasticsearchOptions(c),
    requestTimeout: c.ELASTICSEARCH_REQUEST_TIMEOUT_MS,
  });
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
