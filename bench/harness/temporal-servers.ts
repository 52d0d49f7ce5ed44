// The Temporal servers a benchmark runs against — the stack's own (SQLite file, WAL), or one
// it starts and stops: an in-memory dev server, fresh file-backed ones (SQLite's defaults,
// or WAL with synchronous=normal), the standalone server on PostgreSQL — its client, and a
// worker for a fixture workflow in this process.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Client, Connection, type WorkflowClientInterceptor } from '@temporalio/client';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
} from '@temporalio/worker';
import { onCleanup } from './cleanups';
import { listenerPid } from './cpu';
import { BENCH_NAMESPACE, STACK_TEMPORAL_ADDRESS, stackPort } from './data-sets';

export const SERVER_KINDS = ['sqlite', 'memory', 'sqlite-file', 'sqlite-wal', 'postgres'] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];

// Ten ports apart: temporal-postgres.sh takes P..P+8.
const PORTS: Record<Exclude<ServerKind, 'sqlite'>, number> = {
  postgres: 7243,
  memory: 7253,
  'sqlite-wal': 7263,
  'sqlite-file': 7273,
};
const PG_SCRIPT = fileURLToPath(new URL('../../scripts/temporal-postgres.sh', import.meta.url));
// The stack's search attributes (TEMPORAL_SEARCH_ATTRIBUTES in scripts/stack.sh).
const ATTRIBUTES = ['OrderId=Keyword', 'CommandType=Keyword', 'ProjectionStatus=KeywordList'];
ATTRIBUTES.push('CommandPartitionStatus=Keyword', 'SubscriptionStatus=Keyword');

export interface TemporalServer {
  kind: ServerKind;
  address: string;
  pid: number | undefined;
  flags: string[];
}

// Same lookup as scripts/stack.sh: PATH first, then the stack's per-user cache.
function temporalBinary(): string {
  const cache = process.env.XDG_CACHE_HOME ?? join(os.homedir(), '.cache');
  const dirs = [...(process.env.PATH ?? '').split(delimiter), join(cache, 'order-reporting/bin')];
  for (const dir of dirs.filter(Boolean)) {
    try {
      accessSync(join(dir, 'temporal'), constants.X_OK);
      return join(dir, 'temporal');
    } catch {}
  }
  throw new Error('temporal binary not found; run `bash scripts/stack.sh up` first');
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function script(args: string[]): Promise<void> {
  const env = { ...process.env, TEMPORAL_PG_PORT: String(stackPort(5432)) };
  const child = spawn('bash', [PG_SCRIPT, ...args], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env,
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`scripts/temporal-postgres.sh ${args[0]} exited with ${code}`);
}

/**
 * The stack's server as it is, or a server started here on fresh data; what was started is
 * stopped by the cleanups (`runCleanups`), a PostgreSQL server's databases dropped.
 */
export async function startTemporalServer(
  kind: ServerKind,
  dynamicConfig: string[] = [],
): Promise<TemporalServer> {
  if (kind === 'sqlite') {
    const pid = listenerPid(stackPort(7233));
    return { kind, address: STACK_TEMPORAL_ADDRESS, pid, flags: ['(the stack server)'] };
  }
  const port = stackPort(PORTS[kind]);
  // Otherwise we would silently benchmark whatever already listens there.
  if (listenerPid(port) !== undefined) throw new Error(`port ${port} is already in use`);
  const address = `127.0.0.1:${port}`;
  const dir = mkdtempSync(join(os.tmpdir(), 'bench-temporal-'));
  onCleanup(async () => rmSync(dir, { recursive: true, force: true }));
  if (kind === 'postgres') {
    const common = ['--port', String(port), '--data-dir', dir];
    const up = ['up', ...common, '--db', 'temporal_bench', '--reset', '--log-level', 'error'];
    up.push(
      '--namespace',
      BENCH_NAMESPACE,
      ...dynamicConfig.flatMap((d) => ['--dynamic-config', d]),
    );
    const down = ['down', ...common, '--db', 'temporal_bench', '--reset'];
    // Last resort if this process dies without its cleanups (an uncaught error).
    const downOnExit = () => spawnSync('bash', [PG_SCRIPT, ...down], { stdio: 'ignore' });
    process.once('exit', downOnExit);
    onCleanup(async () => {
      process.off('exit', downOnExit);
      await script(down);
    });
    await script(up);
    const pid = Number(readFileSync(join(dir, 'temporal-server.pid'), 'utf8').trim());
    return { kind, address, pid, flags: ['scripts/temporal-postgres.sh', ...up] };
  }
  const args = ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port)];
  args.push('--namespace', BENCH_NAMESPACE, '--log-level', 'error');
  for (const sa of ATTRIBUTES) args.push('--search-attribute', sa);
  // /tmp is on the same disk as the stack's .stack/ here (not a tmpfs): fsync costs the same.
  if (kind !== 'memory') args.push('--db-filename', join(dir, 'temporal.db'));
  if (kind === 'sqlite-wal')
    args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  for (const pair of dynamicConfig) args.push('--dynamic-config-value', pair);
  const child = spawn(temporalBinary(), args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  onCleanup(async () => {
    process.off('exit', killOnExit);
    await stopChild(child);
  });
  return { kind, address, pid: child.pid, flags: args.slice(2) };
}

/** A client in the bench namespace, once the server answers for it (a new one may not yet). */
export async function connectClient(
  address: string,
  interceptors: WorkflowClientInterceptor[] = [],
): Promise<Client> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address, connectTimeout: '1 second' });
      await connection.workflowService.describeNamespace({ namespace: BENCH_NAMESPACE });
      const ready = connection;
      onCleanup(() => ready.close());
      return new Client({
        connection,
        namespace: BENCH_NAMESPACE,
        interceptors: { workflow: interceptors },
      });
    } catch (error) {
      await connection?.close();
      if (Date.now() > deadline) throw new Error(`${address} not ready: ${error}`);
      await sleep(500);
    }
  }
}

let runtimeInstalled = false;

/** A worker in this process for a fixture's workflows (a bench or test fixture file). */
export async function runFixtureWorker(
  address: string,
  taskQueue: string,
  fixture: URL,
  activities: Record<string, (...args: never[]) => Promise<unknown>> = {},
): Promise<void> {
  const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
  if (!runtimeInstalled) Runtime.install({ logger: new DefaultLogger('WARN') });
  runtimeInstalled = true;
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(fixture),
    logger: silent,
  });
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    namespace: BENCH_NAMESPACE,
    taskQueue,
    workflowBundle,
    activities,
  });
  const running = worker.run();
  onCleanup(async () => {
    worker.shutdown();
    await running;
    await connection.close();
  });
}
