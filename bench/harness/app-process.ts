// `npm start`'s process (scripts/app.ts: the API and every worker in one process) as a
// child, from this checkout or another revision's, with the environment a benchmark gives
// it. With `workerStats`, through bench/harness/worker-stats.ts, which measures its workers.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { onCleanup } from './cleanups';
import { type CommandApi, waitUntilServing } from './commands';
import type { WorkerStats } from './worker-stats';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MEASURED = fileURLToPath(new URL('./worker-stats.ts', import.meta.url));
/** The writer token the benchmarks' app processes accept (API_TOKENS). */
export const BENCH_TOKEN = 'bench-writer-token-0001';

export interface AppProcess extends CommandApi {
  pid: number;
  /** Its workers' activities and projector batches since the last call (`workerStats`). */
  workerStats(): Promise<WorkerStats>;
  stop(): Promise<void>;
}

export interface AppOptions {
  /** The checkout whose scripts/app.ts runs (this one by default). */
  cwd?: string;
  /** Run it through bench/harness/worker-stats.ts, which measures its workers. */
  workerStats?: boolean;
  /** Worker options overriding the app's (with `workerStats`), e.g. maxCachedWorkflows. */
  workerOptions?: Record<string, number>;
  /** Arguments of `npm start`, e.g. `--queues commands,projections`. */
  args?: string[];
}

/** Starts the app and waits until it has served a command (its workers are up). */
export async function startApp(env: Record<string, string>, options: AppOptions = {}) {
  const entry = [
    ...(options.workerStats ? [MEASURED] : []),
    'scripts/app.ts',
    ...(options.args ?? []),
  ];
  // BENCH_APP_CPU_PROF_DIR: the app writes a V8 CPU profile there when it exits (read it
  // with bench/harness/cpu-profile.ts); --cpu-prof is refused in NODE_OPTIONS.
  const profileDir = process.env.BENCH_APP_CPU_PROF_DIR;
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child: ChildProcess = spawn(process.execPath, [...profile, '--import', 'tsx', ...entry], {
    cwd: options.cwd ?? ROOT,
    env: {
      ...process.env,
      API_PORT: '0',
      API_TOKENS: `writer:${BENCH_TOKEN}`,
      // The load is one token's: the per-token cap must not shape what is measured.
      API_MAX_INFLIGHT_PER_TOKEN: '100000',
      BENCH_WORKER_OPTIONS: JSON.stringify(options.workerOptions ?? {}),
      ...env,
    },
    // IPC only for the timings: an open channel would be one more thing to close.
    stdio: options.workerStats ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    await exited;
    clearTimeout(timer);
  };
  onCleanup(stop);
  const trpcUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`app not up in 120 s:\n${output}`)), 120_000);
    child.stdout?.on('data', () => {
      const url = /API\s+(http:\/\/\S+\/trpc)/.exec(output)?.[1];
      if (!url) return;
      clearTimeout(timer);
      resolve(url);
    });
    void exited.then(([code]) => {
      clearTimeout(timer);
      reject(new Error(`the app exited (${code}):\n${output}`));
    });
  }).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  const app: AppProcess = {
    pid: child.pid ?? 0,
    trpcUrl,
    token: BENCH_TOKEN,
    stop,
    workerStats: () =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no worker stats from the app')), 10_000);
        child.once('message', (m: { workerStats: WorkerStats }) => {
          clearTimeout(timer);
          resolve(m.workerStats);
        });
        child.send('worker-stats');
      }),
  };
  await waitUntilServing(app).catch(async (err: Error) => {
    await stop();
    throw new Error(`${err.message}; the app said:\n${output.slice(-4_000)}`);
  });
  return app;
}

/** `npm run worker -- --queues <queues>` as a child (nice(1) execs it: the same pid), up once it said so. */
export async function startWorkerProcess(
  env: Record<string, string>,
  queues: string[],
  /** Its CPU priority (nice(1)): background work that yields to the command path. */
  nice = 0,
): Promise<{ pid: number }> {
  const node = [
    process.execPath,
    '--import',
    'tsx',
    'temporal/main.ts',
    '--queues',
    queues.join(','),
  ];
  const [command = 'nice', ...args] = nice > 0 ? ['nice', '-n', String(nice), ...node] : node;
  const child = spawn(command, args, {
    cwd: ROOT,
    // Its own metrics ports (any free one): the app process holds the defaults.
    env: {
      ...process.env,
      ...env,
      WORKER_METRICS_PORT: '0',
      TEMPORAL_METRICS_PORT: '0',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit');
  onCleanup(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await exited;
  });
  let output = '';
  child.stderr?.on('data', (c: Buffer) => {
    output = (output + c.toString()).slice(-20_000);
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`worker not up in 120 s:\n${output}`)),
      120_000,
    );
    child.stdout?.on('data', (c: Buffer) => {
      output = (output + c.toString()).slice(-20_000);
      if (!output.includes('"worker started"')) return;
      clearTimeout(timer);
      resolve();
    });
    void exited.then(([code]) => {
      clearTimeout(timer);
      reject(new Error(`the worker exited (${code}):\n${output}`));
    });
  });
  return { pid: child.pid ?? 0 };
}
