// Command-line settings of bench/command-path.ts, and the environment its app runs under.
// Imports nothing that reads config(): the bootstrap calls this before the app is loaded.
import { parseArgs } from 'node:util';
import { BENCH_NAMESPACE } from '../namespace';

export const BENCH_DATABASE = 'orders_bench_cmd';
export const ADMIN_DATABASE_URL = 'postgresql://orders:orders@127.0.0.1:5432/orders';
export const BENCH_DATABASE_URL = `postgresql://orders:orders@127.0.0.1:5432/${BENCH_DATABASE}`;
export const ES_PREFIX = 'benchcmd-';
export const REDIS_PREFIX = 'benchcmd:';
export const REDIS_URL = 'redis://:orders@127.0.0.1:6379/3';
export const TASK_QUEUE_PREFIX = 'benchcmd';
export const EMPTY_TASK_QUEUE = 'benchcmd-empty';

export type ServerKind = 'sqlite' | 'memory' | 'sqlite-file' | 'sqlite-wal' | 'postgres';
export type ScenarioKind =
  | 'command'
  | 'command-reports'
  | 'command-sql-report'
  | 'empty'
  | 'append'
  | 'db-command';
/** Every scenario, in the order a run measures them (the default of --scenarios). */
export const SCENARIOS: readonly ScenarioKind[] = [
  'command',
  'command-reports',
  'command-sql-report',
  'empty',
  'append',
  'db-command',
];

/**
 * How the API under test sends commands to Temporal (api/partition-bus.ts): partitioned,
 * P long-lived commandPartitionWorkflows each taking commands as updates (the product's
 * default), or one orderCommandWorkflowV2 per command (COMMAND_PARTITIONS=0). Each path has
 * its own API server in the bench, on the same Temporal server and workers.
 */
export type CommandPathKind = 'partitioned' | 'per-command';
export const COMMAND_PATHS: readonly CommandPathKind[] = ['partitioned', 'per-command'];
/** The partitioned path's options when no flag says otherwise (the product's defaults). */
export const DEFAULT_PARTITIONS = 4;
export const DEFAULT_INFLIGHT_PER_PARTITION = 8;
/** The API's deadline per command (COMMAND_DEADLINE_MS's default). */
export const COMMAND_DEADLINE_MS = 20_000;

export const SERVER_ADDRESS: Record<ServerKind, string> = {
  sqlite: '127.0.0.1:7233',
  memory: '127.0.0.1:7253',
  // File-backed dev servers started by the bench on a fresh file: SQLite's defaults (as the
  // stack runs it), and WAL with synchronous=normal.
  'sqlite-file': '127.0.0.1:7273',
  'sqlite-wal': '127.0.0.1:7263',
  // The standalone server on PostgreSQL (scripts/temporal-postgres.sh, ports 7243..7251),
  // started by the bench on freshly reset databases temporal_bench(_visibility).
  postgres: '127.0.0.1:7243',
};

export const SERVER_KINDS = ['sqlite', 'memory', 'sqlite-file', 'sqlite-wal', 'postgres'] as const;

/** Worker options the bench may override (applied to every worker it starts). */
export interface WorkerTuning {
  maxConcurrentWorkflowTaskExecutions?: number;
  maxCachedWorkflows?: number;
  maxConcurrentWorkflowTaskPolls?: number;
  maxConcurrentActivityTaskPolls?: number;
  maxConcurrentActivityTaskExecutions?: number;
  maxConcurrentLocalActivityExecutions?: number;
  workflowThreadPoolSize?: number;
  nonStickyToStickyPollRatio?: number;
}

export interface Settings {
  quick: boolean;
  seconds: number;
  warmupSeconds: number;
  connections: number[];
  servers: ServerKind[];
  scenarios: ScenarioKind[];
  /**
   * The command paths measured by the command scenarios, each at every number of
   * connections; the report scenarios (command-reports, command-sql-report) use the first.
   */
  commandPaths: CommandPathKind[];
  /** The partitioned path: partitions, and updates in flight per partition from one API. */
  partitions: number;
  inflightPerPartition: number;
  /** Most report queries in flight in command-reports / command-sql-report. */
  reportClients: number;
  /** Report queries per second (fixed schedule, open loop), total across the clients. */
  reportRate: number;
  /**
   * What command-reports asks: the reports-at-scale data set through a second API server
   * (same slots as command-sql-report), or the command bench's own API, current month, live.
   */
  apiReports: 'same-data' | 'live';
  /** Workers in this process instead of a child process. */
  inprocessWorkers: boolean;
  tuning: WorkerTuning;
  /** `--dynamic-config-value` pairs for the servers the bench starts itself. */
  dynamicConfig: string[];
  /** Every Nth successful command is followed for projection lag. */
  lagEvery: number;
  /** Suffix of the results file: command-path-<label>.json; none writes command-path.json. */
  label: string | undefined;
  /** Database connections of the worker (DATABASE_POOL_SIZE); undefined keeps the app default. */
  workerPoolSize: number | undefined;
}

const TUNING_FLAGS: Record<string, keyof WorkerTuning> = {
  'wft-slots': 'maxConcurrentWorkflowTaskExecutions',
  'max-cached': 'maxCachedWorkflows',
  'wft-pollers': 'maxConcurrentWorkflowTaskPolls',
  'activity-pollers': 'maxConcurrentActivityTaskPolls',
  'activity-slots': 'maxConcurrentActivityTaskExecutions',
  'local-activity-slots': 'maxConcurrentLocalActivityExecutions',
  'workflow-threads': 'workflowThreadPoolSize',
};

function positiveInt(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
}

function positiveRate(name: string, raw: string): number {
  const n = Number(raw);
  if (!(Number.isFinite(n) && n > 0)) throw new Error(`--${name} must be a positive number`);
  return n;
}

function list<T extends string>(name: string, raw: string, allowed: readonly T[]): T[] {
  const values = raw.split(',').map((v) => v.trim());
  for (const v of values) {
    if (!(allowed as readonly string[]).includes(v))
      throw new Error(`--${name}: "${v}" is not one of ${allowed.join(', ')}`);
  }
  return values as T[];
}

export function readSettings(argv: string[] = process.argv.slice(2)): Settings {
  const str = { type: 'string' } as const;
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      seconds: str,
      warmup: str,
      connections: str,
      servers: str,
      scenarios: str,
      'command-paths': str,
      partitions: str,
      'inflight-per-partition': str,
      'report-clients': str,
      'report-rate': str,
      'api-reports': str,
      'inprocess-workers': { type: 'boolean', default: false },
      'dynamic-config': { type: 'string', multiple: true },
      'lag-every': str,
      label: str,
      'worker-pool': str,
      'nonsticky-ratio': str,
      ...Object.fromEntries(Object.keys(TUNING_FLAGS).map((k) => [k, str])),
    },
    strict: true,
  });
  const quick = values.quick === true;
  const seconds = values.seconds ? positiveInt('seconds', values.seconds) : quick ? 10 : 60;
  // 10 and 50 also with --quick: the cells of issue 17's targets (--quick measures the report
  // loads in the first cell only).
  const connections = values.connections
    ? values.connections.split(',').map((c) => positiveInt('connections', c))
    : [10, 50];
  const tuning: WorkerTuning = {};
  const raw = values as Record<string, unknown>;
  for (const [flag, key] of Object.entries(TUNING_FLAGS)) {
    const v = raw[flag];
    if (typeof v === 'string') tuning[key] = positiveInt(flag, v);
  }
  if (values['nonsticky-ratio'] !== undefined) {
    const ratio = Number(values['nonsticky-ratio']);
    if (!(ratio > 0 && ratio <= 1)) throw new Error('--nonsticky-ratio must be in (0, 1]');
    tuning.nonStickyToStickyPollRatio = ratio;
  }
  const servers = values.servers
    ? list('servers', values.servers, SERVER_KINDS)
    : quick
      ? (['sqlite', 'memory'] as ServerKind[]) // PostgreSQL's schema setup alone costs ~30 s
      : (['sqlite', 'memory', 'postgres'] as ServerKind[]);
  const inprocessWorkers = values['inprocess-workers'] === true;
  if (inprocessWorkers && servers.length !== 1) {
    // config() is read once per process, so in-process workers can serve one server only.
    throw new Error('--inprocess-workers needs exactly one server in --servers');
  }
  for (const pair of values['dynamic-config'] ?? []) {
    if (!/^[A-Za-z0-9_.]+=.+$/.test(pair)) throw new Error(`--dynamic-config ${pair}: KEY=JSON`);
  }
  if (values.label !== undefined && !/^[a-z0-9-]+$/.test(values.label))
    throw new Error('--label: lower-case letters, digits and -');
  return {
    quick,
    seconds,
    warmupSeconds: values.warmup ? positiveInt('warmup', values.warmup) : quick ? 3 : 5,
    connections,
    servers,
    scenarios: values.scenarios ? list('scenarios', values.scenarios, SCENARIOS) : [...SCENARIOS],
    commandPaths: values['command-paths']
      ? list('command-paths', values['command-paths'], COMMAND_PATHS)
      : [...COMMAND_PATHS],
    partitions: values.partitions
      ? positiveInt('partitions', values.partitions)
      : DEFAULT_PARTITIONS,
    inflightPerPartition: values['inflight-per-partition']
      ? positiveInt('inflight-per-partition', values['inflight-per-partition'])
      : DEFAULT_INFLIGHT_PER_PARTITION,
    reportClients: values['report-clients']
      ? positiveInt('report-clients', values['report-clients'])
      : 8,
    reportRate: values['report-rate'] ? positiveRate('report-rate', values['report-rate']) : 10,
    apiReports: values['api-reports']
      ? (list('api-reports', values['api-reports'], ['same-data', 'live'] as const)[0] ??
        'same-data')
      : 'same-data',
    inprocessWorkers,
    tuning,
    dynamicConfig: values['dynamic-config'] ?? [],
    // --quick: 10 s cells; every 20th reply would follow too few orders for a lag p99.
    lagEvery: values['lag-every'] ? positiveInt('lag-every', values['lag-every']) : quick ? 5 : 20,
    label: values.label,
    workerPoolSize: values['worker-pool']
      ? positiveInt('worker-pool', values['worker-pool'])
      : undefined,
  };
}

/** The environment the app code reads through config(): everything apart from app and tests. */
export function benchEnvironment(settings: Settings): Record<string, string> {
  const env: Record<string, string> = {
    DATABASE_URL: BENCH_DATABASE_URL,
    REDIS_URL,
    ES_INDEX_PREFIX: ES_PREFIX,
    REDIS_KEY_PREFIX: REDIS_PREFIX,
    TASK_QUEUE_PREFIX,
    APPLY_SCHEDULES: 'false',
    LOG_LEVEL: 'warn',
    TEMPORAL_NAMESPACE: BENCH_NAMESPACE,
    // In-process workers read the address once; a child gets its server's address in its env.
    TEMPORAL_ADDRESS: SERVER_ADDRESS[settings.servers[0] ?? 'sqlite'],
  };
  if (settings.workerPoolSize !== undefined)
    env.DATABASE_POOL_SIZE = String(settings.workerPoolSize);
  return env;
}
