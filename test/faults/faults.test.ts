import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app';
import { stack } from '../support/stack';
import { assertExactlyOnce, assertReconciled, startLoad, startWorkerProcess } from './harness';

// Each case: load, fault, heal, then the reconciliation must be clean and every
// acknowledged command's events must exist exactly once.

let app: TestApp;
let worker: ChildProcess | undefined;
beforeAll(async () => {
  app = await startTestApp([]);
  worker = await startWorkerProcess();
});
afterAll(async () => {
  for (const s of ['postgres', 'redis', 'elasticsearch', 'temporal'] as const) await stack('up', s);
  worker?.kill('SIGTERM');
  await app?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withLoad(fault: () => Promise<void>, concurrency = 6) {
  const load = startLoad(app, concurrency);
  await sleep(3_000);
  await fault();
  await sleep(3_000);
  const result = await load.stop();
  expect(result.acked.length).toBeGreaterThan(10);
  await assertExactlyOnce(app, result.acked);
  await assertReconciled(app);
  return result;
}

describe('fault suite', () => {
  it('the worker process killed with SIGKILL mid-load, then restarted', async () => {
    await withLoad(async () => {
      worker?.kill('SIGKILL');
      await sleep(2_000);
      worker = await startWorkerProcess();
    });
  });

  it('Elasticsearch stopped for 60 s', async () => {
    await withLoad(async () => {
      await stack('down', 'elasticsearch');
      await sleep(60_000);
      await stack('up', 'elasticsearch');
    });
  });

  it('Redis stopped', async () => {
    await withLoad(async () => {
      await stack('down', 'redis');
      await sleep(10_000);
      await stack('up', 'redis');
    });
  });

  it('PostgreSQL restarted', async () => {
    const result = await withLoad(async () => {
      await stack('down', 'postgres');
      await sleep(3_000);
      await stack('up', 'postgres');
    });
    expect(result.acked.length).toBeGreaterThan(10);
  });

  it('the Temporal server restarted (its SQLite state kept)', async () => {
    await withLoad(async () => {
      await stack('down', 'temporal');
      await sleep(3_000);
      await stack('up', 'temporal');
    });
  });

  it('the same command 5 times concurrently, and 20 conflicting commands on one order', async () => {
    const writer = app.client('writer');
    const commandId = crypto.randomUUID();
    const input = {
      commandId,
      customerId: 'c-dup',
      region: 'north',
      currency: 'FLT',
      items: [{ productId: 'p-dup', quantity: 1, unitPriceMinor: 500 }],
    };
    const replies = await Promise.all(
      Array.from({ length: 5 }, () => writer.orders.place.mutate(input)),
    );
    expect(new Set(replies.map((r) => r.orderId)).size).toBe(1);
    const orderId = replies[0]?.orderId ?? '';
    const completes = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        writer.orders.complete.mutate({ orderId, commandId: crypto.randomUUID() }),
      ),
    );
    const won = completes.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(won).toHaveLength(1);
    await assertExactlyOnce(app, [{ commandId, orderId, type: 'place' }]);
    const { rows } = await app.connections.pool.query(
      `select count(*)::int as n from events where stream_id = $1 and event_type = 'OrderCompleted'`,
      [`order-${orderId}`],
    );
    expect(rows[0].n).toBe(1);
    await assertReconciled(app);
  });
});
