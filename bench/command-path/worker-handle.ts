// The workers under test, in a child process (own event loop, the default) or in this
// process (--inprocess-workers): started, asked for their timings, stopped.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { onCleanup } from './cleanups';
import type { Settings } from './settings';
import type { FromChild, ToChild, WorkerStats } from './workers';

const READY_TIMEOUT_MS = 90_000;

export interface WorkerHandle {
  pid: number;
  placement: 'child process' | 'in-process';
  /** Activity timings and loop delay since the last call. */
  timings(): Promise<WorkerStats>;
  stop(): Promise<void>;
}

/** The workers in a child process connected to `address`; its stop is a registered cleanup. */
export async function startWorkerChild(address: string, settings: Settings): Promise<WorkerHandle> {
  const child = fork(fileURLToPath(new URL('./worker-child.ts', import.meta.url)), [], {
    execArgv: process.execArgv,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: address,
      BENCH_WORKER_TUNING: JSON.stringify(settings.tuning),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = (type: FromChild['type'], timeoutMs: number) =>
    new Promise<FromChild>((resolve, reject) => {
      const timer = setTimeout(
        () => done(new Error(`worker child: no ${type} in time`)),
        timeoutMs,
      );
      const onMessage = (m: FromChild) => {
        if (m.type === type) done(undefined, m);
        else if (m.type === 'failed') done(new Error(`worker child failed: ${m.message}`));
      };
      const onExit = (code: number | null) => done(new Error(`worker child exited (${code})`));
      function done(err?: Error, m?: FromChild) {
        clearTimeout(timer);
        child.off('message', onMessage).off('exit', onExit);
        if (err) reject(err);
        else if (m) resolve(m);
      }
      child.on('message', onMessage).on('exit', onExit);
    });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.send({ type: 'stop' } satisfies ToChild);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };
  onCleanup(stop);
  try {
    await next('ready', READY_TIMEOUT_MS);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    pid: child.pid ?? 0,
    placement: 'child process',
    async timings() {
      const reply = next('timings', 10_000);
      child.send({ type: 'timings' } satisfies ToChild);
      const m = await reply;
      if (m.type !== 'timings') throw new Error(`worker child answered ${m.type}`);
      return m.timings;
    },
    stop,
  };
}

/** The workers in this process (config() is this process's: one server only). */
export async function startWorkersInProcess(settings: Settings): Promise<WorkerHandle> {
  const { startBenchWorkers } = await import('./workers');
  const workers = await startBenchWorkers(settings.tuning);
  const stop = () => workers.shutdown();
  onCleanup(stop);
  return {
    pid: process.pid,
    placement: 'in-process',
    timings: async () => workers.takeTimings(),
    stop,
  };
}
