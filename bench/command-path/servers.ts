// Temporal servers the command-path bench runs against: the stack's own, or one it starts.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import os from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_NAMESPACE } from '../namespace';
import { SERVER_ADDRESS, type ServerKind, type Settings } from './settings';
import { findTemporalServerPid } from './stats';

const PG_SCRIPT = fileURLToPath(new URL('../../scripts/temporal-postgres.sh', import.meta.url));
const PG_DATABASE = 'temporal_bench';

// Same lookup as scripts/stack.sh: PATH first, then the stack's per-user cache.
export function temporalBinary(): string {
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

export async function portInUse(port: number): Promise<boolean> {
  const socket = createConnection({ host: '127.0.0.1', port });
  const connected = await new Promise<boolean>((resolve) => {
    socket.once('connect', () => resolve(true)).once('error', () => resolve(false));
  });
  socket.destroy();
  return connected;
}

export async function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export interface RunningServer {
  kind: ServerKind;
  address: string;
  pid: number | undefined;
  flags: string[];
  stop(): Promise<void>;
}

/**
 * The stack's SQLite server as it is, or a dev server started here. The caller owns stop():
 * register it with its cleanups.
 */
export async function startServer(kind: ServerKind, settings: Settings): Promise<RunningServer> {
  const address = SERVER_ADDRESS[kind];
  const port = Number(address.split(':')[1]);
  if (kind === 'sqlite') {
    return {
      kind,
      address,
      pid: findTemporalServerPid(port),
      flags: ['(the stack server, as scripts/stack.sh started it)'],
      stop: async () => undefined,
    };
  }
  // Otherwise we would silently benchmark whatever already listens there.
  if (await portInUse(port)) throw new Error(`port ${port} is already in use`);
  if (kind === 'postgres') {
    const pg = await startPostgresServer(port, PG_DATABASE, settings.dynamicConfig);
    return { kind, ...pg };
  }
  const args = ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port)];
  args.push('--namespace', BENCH_NAMESPACE, '--log-level', 'error');
  // The stack's attributes (TEMPORAL_SEARCH_ATTRIBUTES in scripts/stack.sh).
  const attributes = [
    'OrderId=Keyword',
    'CommandType=Keyword',
    'ProjectionStatus=KeywordList',
    'CommandPartitionStatus=Keyword',
  ];
  for (const sa of attributes) args.push('--search-attribute', sa);
  let dir: string | undefined;
  if (kind === 'sqlite-file' || kind === 'sqlite-wal') {
    // /tmp is on the same disk as the stack's .stack/ here (not a tmpfs): fsync costs the same.
    dir = mkdtempSync(join(os.tmpdir(), 'benchcmd-temporal-'));
    args.push('--db-filename', join(dir, 'temporal.db'));
  }
  if (kind === 'sqlite-wal')
    args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  for (const pair of settings.dynamicConfig) args.push('--dynamic-config-value', pair);
  const child = spawn(temporalBinary(), args, { stdio: ['ignore', 'ignore', 'inherit'] });
  // Last resort if this process dies without running its cleanups (an uncaught error).
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.off('exit', killOnExit);
    await stopProcess(child);
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
  return { kind, address, pid: child.pid, flags: args.slice(2), stop };
}

async function runScript(args: string[]): Promise<void> {
  // The script's progress goes to our stderr; it exits once the server is ready.
  const child = spawn('bash', [PG_SCRIPT, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`scripts/temporal-postgres.sh ${args[0]} exited with ${code}`);
}

/**
 * The standalone server on PostgreSQL (databases `database`, `database`_visibility), through
 * scripts/temporal-postgres.sh, on freshly reset databases: each run starts from empty
 * history and visibility tables. Listens on 127.0.0.1:port (and the 8 ports above it).
 */
export async function startPostgresServer(
  port: number,
  database: string,
  dynamicConfig: string[] = [],
): Promise<Omit<RunningServer, 'kind'>> {
  const address = `127.0.0.1:${port}`;
  const dir = mkdtempSync(join(os.tmpdir(), 'bench-temporal-pg-'));
  const common = ['--port', String(port), '--data-dir', dir];
  const args = ['up', ...common, '--db', database, '--reset', '--log-level', 'error'];
  args.push('--namespace', BENCH_NAMESPACE);
  for (const pair of dynamicConfig) args.push('--dynamic-config', pair);
  const down = ['down', ...common];
  // Last resort if this process dies without running its cleanups (an uncaught error).
  const downOnExit = () => spawnSync('bash', [PG_SCRIPT, ...down], { stdio: 'ignore' });
  process.once('exit', downOnExit);
  try {
    await runScript(args);
  } catch (error) {
    process.off('exit', downOnExit);
    downOnExit();
    throw error;
  }
  const pid = Number(readFileSync(join(dir, 'temporal-server.pid'), 'utf8').trim());
  const stop = async () => {
    process.off('exit', downOnExit);
    await runScript(down);
    rmSync(dir, { recursive: true, force: true });
  };
  return { address, pid, flags: ['scripts/temporal-postgres.sh', ...args], stop };
}
