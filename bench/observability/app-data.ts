// The data `npm start`'s process uses in the benches that run it as a child (observability
// overhead, revision A/B): database orders_bench_obs, Elasticsearch prefix `benchobs-`, Redis
// db 4 with prefix `benchobs:`, task queues `benchobs-…` in namespace orders-bench.
import { prepareData } from '../command-path/isolated-data';
import { BENCH_NAMESPACE } from '../namespace';

export const WRITER_TOKEN = 'benchobs-writer-token-0001';

/** Empties that data (creating the database when missing); the app's environment for it. */
export async function prepareAppData(): Promise<Record<string, string>> {
  const database = 'orders_bench_obs';
  const databaseUrl = `postgresql://orders:orders@127.0.0.1:5432/${database}`;
  const redisUrl = 'redis://:orders@127.0.0.1:6379/4';
  await prepareData({
    database,
    databaseUrl,
    esPrefix: 'benchobs-',
    redisUrl,
    redisPrefix: 'benchobs:',
  });
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    ES_INDEX_PREFIX: 'benchobs-',
    REDIS_KEY_PREFIX: 'benchobs:',
    TASK_QUEUE_PREFIX: 'benchobs',
    TEMPORAL_NAMESPACE: BENCH_NAMESPACE,
    API_PORT: '0',
    API_TOKENS: `writer:${WRITER_TOKEN}`,
    APPLY_SCHEDULES: 'false',
    LOG_LEVEL: 'warn',
  };
}
