// Temporal servers the command-path bench runs against: the stack's own, or one it starts.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import os from 'node:os';
import { delimiter, join } from 'node:path';
import { SERVER_ADDRESS, type ServerKind, type Settings } from './settings';
import { findTemporalServerPid } from './stats';

const NAMESPACE = 'default';

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

async function portInUse(port: number): Promise<boolean> {
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
  const args = ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port)];
  args.push('--namespace', NAMESPACE, '--log-level', 'error');
  for (const sa of ['OrderId=Keyword', 'CommandType=Keyword', 'ProjectionStatus=KeywordList'])
    args.push('--search-attribute', sa);
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
