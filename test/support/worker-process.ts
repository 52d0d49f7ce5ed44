import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Where the worker processes' logs are kept, to read after a failed case. */
export const WORKER_LOG = `${process.env.STACK_DATA_DIR ?? `${root}.stack-faults`}/logs/fault-workers.log`;

/**
 * A worker in its own process (`npm run worker`), so a test can SIGKILL it: every queue, or
 * those given, with `env` over the test's environment.
 */
export async function startWorkerProcess(
  options: { queues?: string; env?: Record<string, string>; log?: string } = {},
): Promise<ChildProcess> {
  const queues = options.queues ? ['--queues', options.queues] : [];
  // Node itself with tsx's loader: one process, so SIGKILL really kills the worker.
  const child = spawn(process.execPath, ['--import', 'tsx', 'temporal/main.ts', ...queues], {
    cwd: root,
    env: {
      ...process.env,
      // Subscriptions to a receiver on 127.0.0.1, retried every few seconds.
      SUBSCRIPTIONS_ALLOW_PRIVATE_URLS: 'true',
      SUBSCRIPTION_RETRY_SCHEDULE_SECONDS: '2,3,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5',
      ...options.env,
      APPLY_SCHEDULES: 'false',
      LOG_LEVEL: 'info',
      // Any free ports: a worker of another checkout on this host may hold the defaults.
      WORKER_METRICS_PORT: '0',
      TEMPORAL_METRICS_PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('worker did not start within 60 s')), 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('"worker started"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
  });
  const log = options.log ?? WORKER_LOG;
  mkdirSync(dirname(log), { recursive: true });
  child.stdout?.pipe(createWriteStream(log, { flags: 'a' }));
  return child;
}

/** Kills a child process with SIGKILL and proves it is gone. */
export async function killHard(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null) throw new Error('the process is not running');
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_code, signal) => resolve(signal)),
  );
  child.kill('SIGKILL');
  const signal = await exited;
  if (signal !== 'SIGKILL') throw new Error(`process ${pid} ended with ${signal}, not SIGKILL`);
  try {
    process.kill(pid, 0);
    throw new Error(`process ${pid} still exists after SIGKILL`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
