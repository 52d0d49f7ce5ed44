import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { config } from '../../config/env';
import { reconcileMonth } from '../../projections/reconcile';
import { monthIn } from '../../workflows/report-months';
import type { TestApp } from '../support/app';
import { waitFor } from '../support/wait';
import type { Acked } from './load';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Where the worker processes' logs are kept, to read after a failed case. */
export const WORKER_LOG = `${process.env.STACK_DATA_DIR ?? `${root}.stack-faults`}/logs/fault-workers.log`;

/**
 * A worker in its own process (`npm run worker`), so a test can SIGKILL it: every queue, or
 * those given, with `env` over the test's environment.
 */
export async function startWorkerProcess(
  options: { queues?: string; env?: Record<string, string> } = {},
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
  mkdirSync(dirname(WORKER_LOG), { recursive: true });
  child.stdout?.pipe(createWriteStream(WORKER_LOG, { flags: 'a' }));
  return child;
}

/** Every acknowledged command's events exist exactly once. */
export async function assertExactlyOnce(app: TestApp, acked: Acked[]): Promise<void> {
  const ids = acked.map((a) => a.commandId);
  const { rows } = await app.connections.pool.query<{ command_id: string; n: number }>(
    `select metadata->>'commandId' as command_id, count(*)::int as n from events
     where metadata->>'commandId' = any($1::text[]) group by 1`,
    [ids],
  );
  const counts = new Map(rows.map((r) => [r.command_id, r.n]));
  const wrong = acked.filter((a) => counts.get(a.commandId) !== 1);
  if (wrong.length > 0) {
    throw new Error(
      `${wrong.length} acknowledged command(s) not stored exactly once, e.g. ${JSON.stringify(wrong[0])} -> ${counts.get(wrong[0]?.commandId ?? '')}`,
    );
  }
}

/** The report months the acknowledged completions landed in, read from their stored events. */
async function monthsOf(app: TestApp, acked: Acked[]): Promise<string[]> {
  const ids = acked.filter((a) => a.type === 'complete').map((a) => a.commandId);
  const { rows } = await app.connections.pool.query<{ occurred_at: Date }>(
    `select distinct occurred_at from events
     where event_type = 'OrderCompleted' and metadata->>'commandId' = any($1::text[])`,
    [ids],
  );
  return [...new Set(rows.map((r) => monthIn(r.occurred_at, config().REPORT_TIMEZONE)))].sort();
}

/**
 * Waits until the reconciliation of every month the load completed orders in reports zero
 * differences (read models equal the event store), with live numbers to compare.
 */
export async function assertReconciled(
  app: TestApp,
  acked: Acked[],
  timeoutMs = 180_000,
): Promise<void> {
  const months = await monthsOf(app, acked);
  if (months.length === 0) throw new Error('no completed order to reconcile');
  for (const month of months) {
    let last = '';
    await waitFor(
      `reconcile ${month} clean`,
      async () => {
        await app.connections.es.indices.refresh({ index: `${config().ES_INDEX_PREFIX}orders` });
        const r = await reconcileMonth(
          {
            ...app.connections,
            esPrefix: config().ES_INDEX_PREFIX,
            redisPrefix: config().REDIS_KEY_PREFIX,
            timeZone: config().REPORT_TIMEZONE,
          },
          month,
        );
        last = JSON.stringify(r.differences.slice(0, 3));
        return r.differences.length === 0 && r.checked.live > 0 ? true : undefined;
      },
      timeoutMs,
      1_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last differences: ${last}`);
    });
  }
}
