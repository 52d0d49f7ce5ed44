import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBSCRIPTION_STATUS } from '../contracts/search-attributes';
import { subscriberId } from '../temporal/subscribers';
import { startTestApp, type TestApp } from './support/app';
import { generateOrders } from './support/orders';
import { waitFor } from './support/wait';
import {
  firstArrivals,
  outOfOrder,
  type Received,
  type Receiver,
  startReceiver,
} from './support/webhook-receiver';

// Webhook subscriptions against a real receiver process (test/fixtures/webhook-receiver.mjs)
// that verifies every signature with the standardwebhooks reference library.

let app: TestApp;
let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
  // The receiver is on 127.0.0.1: private addresses allowed, as SUBSCRIPTIONS_ALLOW_PRIVATE_URLS does.
  app = await startTestApp(undefined, {
    webhooks: { allowPrivateUrls: true, retrySchedule: [1, 1, 1] },
  });
});
afterAll(async () => {
  await app?.stop();
  await receiver?.stop();
});

const TYPES = {
  placed: ['order.placed'],
  cancelled: ['order.placed', 'order.cancelled'],
  completed: ['order.placed', 'order.completed'],
  refunded: ['order.placed', 'order.completed', 'order.refunded'],
} as const;

/** Waits until `hook` has first arrivals for `count` events of `orderIds`. */
async function arrivals(hook: string, orderIds: Set<string>, count: number): Promise<Received[]> {
  return await waitFor(
    `${count} events at /${hook}`,
    async () => {
      const got = firstArrivals(await receiver.received(hook)).filter((r) =>
        orderIds.has(r.body.data.orderId),
      );
      return got.length >= count ? got : undefined;
    },
    90_000,
    250,
  );
}

const placedPositions = (got: Received[]) =>
  got.filter((r) => r.body.type === 'order.placed').map((r) => r.body.data.position);

describe('webhook subscriptions', () => {
  it('deliver every event of a mixed workload, signed, each order in version order; a filtered one gets its types only', async () => {
    const admin = app.client('admin');
    const all = await admin.subscriptions.create.mutate({
      url: receiver.url('all'),
      description: 'everything',
    });
    const done = await admin.subscriptions.create.mutate({
      url: receiver.url('completed'),
      events: ['order.completed'],
    });
    expect(all.secret).toMatch(/^whsec_/);
    await receiver.control('all', { secrets: [all.secret] });
    await receiver.control('completed', { secrets: [done.secret] });

    const orders = await generateOrders(admin, {
      count: 40,
      month: '2026-03',
      currencies: ['EUR', 'USD'],
      regions: ['eu', 'us'],
      products: 5,
      seed: 23,
    });
    const ids = new Set(orders.map((o) => o.orderId));
    const events = orders.reduce((n, o) => n + o.version, 0);
    const got = await arrivals('all', ids, events);
    expect(got).toHaveLength(events);
    const raw = (await receiver.received('all')).filter((r) => ids.has(r.body.data.orderId));
    // Every request verified with the subscription's secret; duplicates only with the same id.
    expect(raw.filter((r) => r.verifiedWith[0] !== 0)).toEqual([]);
    expect(new Set(raw.map((r) => `${r.method} ${r.contentType}`))).toEqual(
      new Set(['POST application/json']),
    );
    expect(outOfOrder(raw)).toEqual([]);
    for (const order of orders) {
      const mine = got.filter((r) => r.body.data.orderId === order.orderId);
      expect(mine.map((r) => r.body.type)).toEqual(TYPES[order.fate]);
      expect(mine.map((r) => r.body.data.version)).toEqual(mine.map((_, i) => i + 1));
    }
    // The body carries the event's position and fields, money in integer minor units.
    const placed = got.find((r) => r.body.type === 'order.placed');
    const { rows } = await app.connections.pool.query<{ global_position: string; total: number }>(
      `select global_position, (data->>'totalMinor')::int as total from events
       where stream_id = $1 and stream_version = 1`,
      [`order-${placed?.body.data.orderId}`],
    );
    expect(placed?.body.data.position).toBe(Number(rows[0]?.global_position));
    expect(placed?.body.data.totalMinor).toBe(rows[0]?.total);

    const completions = orders.filter((o) => o.completedAt !== null).length;
    const filtered = await arrivals('completed', ids, completions);
    expect(new Set(filtered.map((r) => r.body.type))).toEqual(new Set(['order.completed']));
    expect(filtered.every((r) => r.verifiedWith[0] === 0)).toBe(true);
    // Message ids are per subscription: the same event has another id at each.
    expect(filtered.some((f) => got.some((g) => g.id === f.id))).toBe(false);

    // A subscription made after the load, replayed from its first event: the backlog comes
    // in full batches, several events of one order in each, still in version order.
    const late = await admin.subscriptions.create.mutate({ url: receiver.url('replayed') });
    await receiver.control('replayed', { secrets: [late.secret] });
    const first = Math.min(...placedPositions(got));
    await admin.subscriptions.replay.mutate({ id: late.id, fromPosition: first });
    const replayed = await arrivals('replayed', ids, events);
    expect(replayed).toHaveLength(events);
    expect(outOfOrder(await receiver.received('replayed'))).toEqual([]);

    // The admin's view: active, caught up, the last delivery; never the secret.
    const view = await waitFor('caught up', async () => {
      const v = await admin.subscriptions.get.query({ id: all.id });
      return v.lag.events === 0 ? v : undefined;
    });
    expect(view).toMatchObject({ state: 'active', enabled: true, consecutiveFailures: 0 });
    expect(view.lastDelivery).toMatchObject({ outcome: 'delivered', statusCode: 204 });
    const page = await admin.subscriptions.deliveries.query({ id: all.id, limit: 5 });
    expect(page.deliveries).toHaveLength(5);
    expect(page.nextCursor).toBe(page.deliveries.at(-1)?.id);
    const listed = await admin.subscriptions.list.query();
    expect(listed.subscriptions.map((s) => s.id)).toEqual(
      expect.arrayContaining([all.id, done.id]),
    );
    expect(JSON.stringify([listed, view])).not.toContain(all.secret.slice(6));
    const described = await app.connections.temporal.workflow
      .getHandle(subscriberId(all.id))
      .describe();
    expect(described.status.name).toBe('RUNNING');
    expect(described.typedSearchAttributes.get(SUBSCRIPTION_STATUS)).toBeUndefined();
  });
});
