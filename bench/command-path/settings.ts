// What a command-path run measures (bench/command-path.ts lists the flags).
import { DEFAULT_COMMAND_PARTITIONS } from '../../config/env';
import { QUEUE_KINDS } from '../../contracts/task-queues';
import { readFlags } from '../harness/flags';
import { SERVER_KINDS } from '../harness/temporal-servers';

export const SCENARIOS = [
  'command',
  'command-reports',
  'command-sql-report',
  'empty',
  'append',
  'db-command',
] as const;
export type Scenario = (typeof SCENARIOS)[number];
/**
 * How the API sends commands (api/partition-bus.ts): partitioned, P long-lived
 * commandPartitionWorkflows taking commands as updates (the product's default), or one
 * orderCommandWorkflowV2 per command (COMMAND_PARTITIONS=0).
 */
export const COMMAND_PATHS = ['partitioned', 'per-command'] as const;
export type CommandPath = (typeof COMMAND_PATHS)[number];

export function readSettings() {
  const f = readFlags([
    ...['seconds', 'warmup', 'connections', 'servers', 'scenarios', 'command-paths'],
    ...['partitions', 'inflight-per-partition', 'report-rate', 'report-clients', 'lag-every'],
    ...['worker-option', 'worker-pool', 'worker-queues', 'dynamic-config', 'label'],
  ]);
  const workerOptions = Object.fromEntries(
    f.all('worker-option').map((pair) => {
      const [name, value] = pair.split('=');
      if (!name || !(Number(value) > 0)) throw new Error(`--worker-option ${pair}: name=number`);
      return [name, Number(value)];
    }),
  );
  for (const pair of f.all('dynamic-config'))
    if (!/^[A-Za-z0-9_.]+=.+$/.test(pair)) throw new Error(`--dynamic-config ${pair}: KEY=JSON`);
  const label = f.string('label');
  if (label !== undefined && !/^[a-z0-9-]+$/.test(label))
    throw new Error('--label: lower-case letters, digits and -');
  return {
    quick: f.quick,
    seconds: f.int('seconds', f.quick ? 10 : 60),
    warmupSeconds: f.int('warmup', f.quick ? 3 : 5),
    // 10 and 50 also with --quick: the cells of issue 17's targets.
    connections: f.ints('connections', [10, 50]),
    // PostgreSQL's schema setup alone costs ~30 s: not with --quick.
    servers: f.list(
      'servers',
      SERVER_KINDS,
      f.quick ? ['sqlite', 'memory'] : ['sqlite', 'memory', 'postgres'],
    ),
    scenarios: f.list('scenarios', SCENARIOS, SCENARIOS),
    /** Each measured in every cell; the report loads run on the first. */
    commandPaths: f.list('command-paths', COMMAND_PATHS, COMMAND_PATHS),
    partitions: f.int('partitions', DEFAULT_COMMAND_PARTITIONS),
    /** Queues run by a worker process of their own beside the app (which keeps the rest). */
    workerQueues: f.list('worker-queues', QUEUE_KINDS, []),
    /** COMMAND_INFLIGHT_PER_PARTITION (updates, each an array); the app's default when not given. */
    inflightPerPartition: f.string('inflight-per-partition'),
    /** Report queries per second in total (open loop), at most `reportClients` in flight. */
    reportRate: f.number('report-rate', 10),
    reportClients: f.int('report-clients', 8),
    /** Every Nth reply is followed for lag (and its history sampled, per command). */
    lagEvery: f.int('lag-every', f.quick ? 5 : 20),
    /** Worker options overriding the app's (name=value: maxCachedWorkflows=…, …). */
    workerOptions,
    /** The app's DATABASE_POOL_SIZE; its default when not given. */
    workerPool: f.string('worker-pool'),
    /** --dynamic-config-value pairs for the servers the bench starts itself. */
    dynamicConfig: f.all('dynamic-config'),
    label,
  };
}
export type Settings = ReturnType<typeof readSettings>;
