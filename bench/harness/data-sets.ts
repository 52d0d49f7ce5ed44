// Where the benchmarks run: the stack's servers (scripts/stack.sh's ports, moved by
// STACK_PORT_OFFSET exactly as it moves them) and, on them, each scenario's own data set —
// database, index prefix, Redis db and prefix, task queues — apart from the app's and the
// tests'. Imports nothing that reads config(): an entry sets the app's environment from it
// before the app's modules load (config() is read once, when the logger loads).

const offset = Number(process.env.STACK_PORT_OFFSET ?? 0);
if (!Number.isInteger(offset) || offset < 0 || offset > 50_000)
  throw new Error('STACK_PORT_OFFSET: a number from 0 to 50000, as for scripts/stack.sh');

/** A port of the stack (or of a server a benchmark starts), moved by STACK_PORT_OFFSET. */
export const stackPort = (port: number): number => port + offset;

/**
 * The Temporal namespace of every benchmark, on the stack's server and on those a benchmark
 * starts: never the app's `default`, whose operators must not see a benchmark's workflows.
 * scripts/stack.sh registers it with the app's search attributes.
 */
export const BENCH_NAMESPACE = 'orders-bench';

export const databaseUrl = (database: string): string =>
  `postgresql://orders:orders@127.0.0.1:${stackPort(5432)}/${database}`;
/** The stack's own database: the `orders` role may create the benchmarks' from there. */
export const ADMIN_DATABASE_URL = databaseUrl('orders');
/** STACK_ES_PORT moves Elasticsearch alone, as it does for scripts/stack.sh. */
export const ES_URL = `http://127.0.0.1:${process.env.STACK_ES_PORT ?? stackPort(9200)}`;
export const STACK_TEMPORAL_ADDRESS = `127.0.0.1:${stackPort(7233)}`;

export interface DataSet {
  database: string;
  esPrefix: string;
  redisDb: number;
  redisPrefix: string;
  taskQueuePrefix: string;
}

export const redisUrl = (data: DataSet): string =>
  `redis://:orders@127.0.0.1:${stackPort(6379)}/${data.redisDb}`;

/** The 1,000,000 orders of reports-at-scale, left in place for command-path's report loads. */
export const REPORTS_DATA: DataSet = {
  database: 'orders_bench',
  esPrefix: 'bench-',
  redisDb: 2,
  redisPrefix: 'bench:',
  taskQueuePrefix: 'bench',
};
export const COMMAND_PATH_DATA: DataSet = {
  database: 'orders_bench_cmd',
  esPrefix: 'benchcmd-',
  redisDb: 3,
  redisPrefix: 'benchcmd:',
  taskQueuePrefix: 'benchcmd',
};
/** parquet-export's generated month (the event store only: no index, no key, no queue). */
export const PARQUET_DATA: DataSet = {
  database: 'orders_bench_parquet',
  esPrefix: 'benchpq-',
  redisDb: 5,
  redisPrefix: 'benchpq:',
  taskQueuePrefix: 'benchpq',
};
/** `npm start`'s process as a whole: observability-overhead and revision-ab. */
export const APP_DATA: DataSet = {
  database: 'orders_bench_obs',
  esPrefix: 'benchobs-',
  redisDb: 4,
  redisPrefix: 'benchobs:',
  taskQueuePrefix: 'benchobs',
};

/** webhook-delivery: the app with webhook subscriptions to a receiver in the benchmark. */
export const WEBHOOK_DATA: DataSet = {
  database: 'orders_bench_hooks',
  esPrefix: 'benchhooks-',
  redisDb: 6,
  redisPrefix: 'benchhooks:',
  taskQueuePrefix: 'benchhooks',
};

/** The app's environment (config/env.ts) on a data set. */
export function appEnvironment(
  data: DataSet,
  temporalAddress = STACK_TEMPORAL_ADDRESS,
): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl(data.database),
    REDIS_URL: redisUrl(data),
    ELASTICSEARCH_URL: ES_URL,
    ES_INDEX_PREFIX: data.esPrefix,
    REDIS_KEY_PREFIX: data.redisPrefix,
    TASK_QUEUE_PREFIX: data.taskQueuePrefix,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: BENCH_NAMESPACE,
    APPLY_SCHEDULES: 'false',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  };
}
