// `npm start`'s process (scripts/app.ts: the API and every worker in one process) as a
// child, from this checkout or another revision's, with the environment a benchmark gives
// it. With `timings`, bench/harness/activity-timings.ts is preloaded to time its activities.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { ActivityTimings } from './activity-timings';
import { onCleanup } from './cleanups';
import { type CommandApi, waitUntilServing } from './commands';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TIMINGS = fileURLToPath(new URL('./activity-timings.ts', import.meta.url));
/** The writer token the benchmarks' app processes accept (API_TOKENS). */
export const BENCH_TOKEN = 'bench-writer-token-0001';

export interface AppProcess extends CommandApi {
  pid: number;
  /** Activity timings since the last call (with `timings` only). */
  activityTimings(): Promise<ActivityTimings>;
  stop(): Promise<void>;
}

export interface AppOptions {
  /** The checkout whose scripts/app.ts runs (this one by default). */
  cwd?: string;
  timings?: boolean;
  /** Worker options overriding the app's (with `timings`), e.g. maxCachedWorkflows. */
  workerOptions?: Record<string, number>;
}

/** Starts the app and waits until it has served a command (its workers are up). */
export async function startApp(env: Record<string, string>, options: AppOptions = {}) {
  const preload = options.timings ? ['--import', TIMINGS] : [];
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', ...preload, 'scripts/app.ts'],
    {
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
      stdio: options.timings ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    },
  );
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
    activityTimings: () =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error('no activity timings from the app')),
          10_000,
        );
        child.once('message', (m: { activityTimings: ActivityTimings }) => {
          clearTimeout(timer);
          resolve(m.activityTimings);
        });
        child.send('activity-timings');
      }),
  };
  await waitUntilServing(app);
  return app;
}
