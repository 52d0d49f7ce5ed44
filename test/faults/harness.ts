import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { config } from '../../config/env';
import { reconcileMonth } from '../../projections/reconcile';
import { monthIn } from '../../workflows/report-months';
import { type TestApp, TOKENS } from '../support/app';
import { waitFor } from '../support/wait';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** A worker in its own process (`npm run worker`), so a test can SIGKILL it. */
export async function startWorkerProcess(): Promise<ChildProcess> {
  // Node itself with tsx's loader: one process, so SIGKILL really kills the worker.
  const child = spawn(process.execPath, ['--import', 'tsx', 'temporal/main.ts'], {
    cwd: root,
    env: { ...process.env, APPLY_SCHEDULES: 'false', LOG_LEVEL: 'info' },
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
  child.stdout?.resume();
  return child;
}

export interface Acked {
  commandId: string;
  orderId: string;
  type: 'place' | 'complete';
}

export interface LoadResult {
  acked: Acked[];
  failed: number;
}

async function call(
  app: TestApp,
  path: string,
  body: unknown,
): Promise<{ orderId: string } | null> {
  try {
    const res = await fetch(`${app.url}/trpc/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKENS.writer}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    if (res.status !== 200) return null;
    return ((await res.json()) as { result: { data: { orderId: string } } }).result.data;
  } catch {
    return null;
  }
}

/**
 * Clients placing and completing orders until `stop()`; like real clients they retry a
 * failed call with the same commandId (a few times), so faults also exercise idempotency.
 */
export function startLoad(app: TestApp, concurrency: number, currency = 'FLT') {
  const result: LoadResult = { acked: [], failed: 0 };
  let stopping = false;
  const send = async (path: string, type: Acked['type'], body: Record<string, unknown>) => {
    const commandId = randomUUID();
    for (let attempt = 0; attempt < 4; attempt++) {
      const reply = await call(app, path, { ...body, commandId });
      if (reply) {
        result.acked.push({ commandId, orderId: reply.orderId, type });
        return reply.orderId;
      }
      await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
    }
    result.failed++;
    return null;
  };
  const client = async (n: number) => {
    for (let i = 0; !stopping; i++) {
      const orderId = await send('orders.place', 'place', {
        customerId: `c-${n}`,
        region: n % 2 ? 'north' : 'south',
        currency,
        items: [{ productId: `p-${i % 5}`, quantity: 1 + (i % 3), unitPriceMinor: 100 + n }],
      });
      if (orderId && i % 2 === 0) await send('orders.complete', 'complete', { orderId });
    }
  };
  const running = Promise.all(Array.from({ length: concurrency }, (_, n) => client(n)));
  return {
    result,
    async stop(): Promise<LoadResult> {
      stopping = true;
      await running;
      return result;
    },
  };
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

/** Waits until the reconciliation of this month reports zero differences. */
export async function assertReconciled(app: TestApp, timeoutMs = 180_000): Promise<void> {
  const month = monthIn(new Date(), config().REPORT_TIMEZONE);
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
