import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookMessageId } from '../domain/webhook-payload';
import { startTestApp, type TestApp } from './support/app';
import { generateOrders } from './support/orders';
import { waitFor } from './support/wait';
import {
  firstArrivals,
  outOfOrder,
  type Receiver,
  startReceiver,
} from './support/webhook-receiver';
import { killHard, startWorkerProcess } from './support/worker-process';

// The webhooks worker in a process of its own, SIGKILLed while deliveries are in flight:
// after a new worker takes over, every event has arrived, each order's in version order,
// repeats only under the webhook-id already sent.

let app: TestApp;
let receiver: Receiver;
let worker: ChildProcess | undefined;
beforeAll(async () => {
  receiver = await startReceiver();
  app = await startTestApp(['commands', 'projections'], { webhooks: { allowPrivateUrls: true } });
  worker = await startWorkerProcess({ queues: 'webhooks' });
});
afterAll(async () => {
  worker?.kill('SIGTERM');
  await app?.stop();
  await receiver?.stop();
});

describe('the webhooks worker killed mid-delivery', () => {
  it('loses nothing: a new worker delivers the rest, in order, repeats under the same id only', async () => {
    const admin = app.client('admin');
    const sub = await admin.subscriptions.create.mutate({ url: receiver.url('slow') });
    // Each answer takes 300 ms: deliveries are in flight whenever the kill lands. The load
    // waits as a backlog (disabled), so the kill lands early in its delivery.
    await receiver.control('slow', { secrets: [sub.secret], delayMs: 300 });
    await admin.subscriptions.update.mutate({ id: sub.id, enabled: false });
    const orders = await generateOrders(admin, {
      count: 40,
      month: '2026-04',
      currencies: ['EUR'],
      regions: ['eu'],
      products: 3,
      seed: 7,
    });
    const events = orders.reduce((n, o) => n + o.version, 0);
    await admin.subscriptions.update.mutate({ id: sub.id, enabled: true });
    const before = await waitFor('deliveries under way', async () => {
      const n = firstArrivals(await receiver.received('slow')).length;
      return n >= 10 ? n : undefined;
    });
    if (!worker) throw new Error('no worker');
    await killHard(worker);
    const atKill = firstArrivals(await receiver.received('slow')).length;
    expect(atKill).toBeLessThan(events);
    worker = await startWorkerProcess({ queues: 'webhooks' });
    await receiver.control('slow', { secrets: [sub.secret] });

    const got = await waitFor(
      'every event delivered',
      async () => {
        const all = firstArrivals(await receiver.received('slow'));
        return all.length >= events ? all : undefined;
      },
      120_000,
      500,
    );
    expect(got).toHaveLength(events);
    const raw = await receiver.received('slow');
    expect(outOfOrder(raw)).toEqual([]);
    expect(raw.filter((r) => r.verifiedWith[0] !== 0)).toEqual([]);
    // Every id received is one of the events' ids: a repeat is a retry of the same message.
    const { rows } = await app.connections.pool.query<{ event_id: string }>(
      `select event_id from events where stream_id = any($1::text[])`,
      [orders.map((o) => `order-${o.orderId}`)],
    );
    const expected = new Set(rows.map((r) => webhookMessageId(sub.id, r.event_id)));
    expect(expected.size).toBe(events);
    expect(raw.filter((r) => !expected.has(r.id))).toEqual([]);
    expect(new Set(got.map((r) => r.id))).toEqual(expected);
    console.info(
      `[webhooks] killed after ${before}+ of ${events} deliveries (${atKill} at the kill); ${raw.length - events} repeated`,
    );
  });
});
