import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBSCRIPTION_STATUS } from '../contracts/search-attributes';
import { subscriberId } from '../temporal/subscribers';
import { startTestApp, type TestApp } from './support/app';
import { sampleValue, scrape, serveMetrics } from './support/prometheus-text';
import { waitFor } from './support/wait';
import {
  firstArrivals,
  outOfOrder,
  type Receiver,
  startReceiver,
} from './support/webhook-receiver';

// A failing endpoint is retried on the schedule (here 1 s steps), then its subscription is
// disabled with its backlog kept; enabling resumes it. 410 disables at once; Retry-After is
// honoured; a rotated secret signs beside the old one.

let app: TestApp;
let receiver: Receiver;
let metrics: Awaited<ReturnType<typeof serveMetrics>>;
beforeAll(async () => {
  metrics = await serveMetrics();
  receiver = await startReceiver();
  app = await startTestApp(undefined, {
    webhooks: { allowPrivateUrls: true, retrySchedule: [1, 1, 1], deliveryTimeoutMs: 2_000 },
  });
});
afterAll(async () => {
  await metrics?.close();
  await app?.stop();
  await receiver?.stop();
});

const place = (customerId: string) =>
  app.client('writer').orders.place.mutate({
    commandId: randomUUID(),
    customerId,
    region: 'eu',
    currency: 'EUR',
    items: [{ productId: 'p-hook', quantity: 1, unitPriceMinor: 500 }],
  });

async function subscribe(hook: string, status = 204) {
  const created = await app
    .client('admin')
    .subscriptions.create.mutate({ url: receiver.url(hook) });
  await receiver.control(hook, { secrets: [created.secret], status });
  return created;
}

async function flag(id: string): Promise<string | undefined> {
  const described = await app.connections.temporal.workflow.getHandle(subscriberId(id)).describe();
  return described.typedSearchAttributes.get(SUBSCRIPTION_STATUS);
}

const ordersAt = async (hook: string) =>
  new Set(firstArrivals(await receiver.received(hook)).map((r) => r.body.data.orderId));

describe('a failing endpoint', () => {
  it('is retried on the schedule, then disabled with its backlog kept; enabling delivers the backlog in order', async () => {
    const admin = app.client('admin');
    const sub = await subscribe('flaky', 500);
    const first = await place('c-flaky');
    // The first attempt and one per schedule step (3), then the subscription is disabled.
    const disabled = await waitFor('disabled after the schedule', async () => {
      const v = await admin.subscriptions.get.query({ id: sub.id });
      return v.state === 'disabled' ? v : undefined;
    });
    expect(disabled.disabledReason).toMatch(/retries spent after 4 failures.*500/);
    expect(disabled.consecutiveFailures).toBe(4);
    await waitFor('flagged disabled', async () =>
      (await flag(sub.id)) === 'disabled' ? true : undefined,
    );
    const attempts = (await receiver.received('flaky')).filter(
      (r) => r.body.data.orderId === first.orderId,
    );
    expect(attempts.map((a) => a.answered)).toEqual([500, 500, 500, 500]);
    // Same webhook-id on every attempt, a timestamp of its own, ~1 s (±20 %) apart.
    expect(new Set(attempts.map((a) => a.id)).size).toBe(1);
    const gaps = attempts.slice(1).map((a, i) => a.at - (attempts[i]?.at ?? 0));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(700);
    const page = await admin.subscriptions.deliveries.query({ id: sub.id });
    expect(page.deliveries.map((d) => [d.attempt, d.outcome, d.statusCode])).toEqual([
      [4, 'failed', 500],
      [3, 'failed', 500],
      [2, 'failed', 500],
      [1, 'failed', 500],
    ]);

    // Operators see it in the metrics: disabled, failed attempts counted.
    const samples = await scrape(metrics.url);
    const stateOf = (state: string) =>
      sampleValue(samples, 'orders_subscription_state', { subscription: sub.id, state });
    expect([stateOf('disabled'), stateOf('failing'), stateOf('active')]).toEqual([1, 0, 0]);
    expect(
      sampleValue(samples, 'orders_subscription_deliveries_total', { outcome: 'failed' }),
    ).toBeGreaterThanOrEqual(4);

    // While disabled, more events pile up; nothing is sent.
    const backlog = [await place('c-backlog-1'), await place('c-backlog-2')];
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await ordersAt('flaky')).toEqual(new Set([first.orderId]));

    const lagging = await scrape(metrics.url);
    expect(
      sampleValue(lagging, 'orders_subscription_lag_events', { subscription: sub.id }),
    ).toBeGreaterThanOrEqual(3);
    expect(
      sampleValue(lagging, 'orders_subscription_lag_seconds', { subscription: sub.id }),
    ).toBeGreaterThan(0);

    await receiver.control('flaky', { status: 204 });
    await admin.subscriptions.update.mutate({ id: sub.id, enabled: true });
    await waitFor('the backlog delivered', async () => {
      const at = await ordersAt('flaky');
      return [first, ...backlog].every((o) => at.has(o.orderId)) ? true : undefined;
    });
    const delivered = (await receiver.received('flaky')).filter((r) => r.answered === 204);
    expect(delivered.map((r) => r.body.data.orderId)).toEqual(
      [first, ...backlog].map((o) => o.orderId),
    );
    await waitFor('flag cleared', async () =>
      (await flag(sub.id)) === undefined ? true : undefined,
    );
    await waitFor('caught up in the metrics', async () => {
      const now = await scrape(metrics.url);
      return sampleValue(now, 'orders_subscription_lag_events', { subscription: sub.id }) === 0 &&
        sampleValue(now, 'orders_subscription_state', { subscription: sub.id, state: 'active' }) ===
          1
        ? true
        : undefined;
    });
    expect(await admin.subscriptions.get.query({ id: sub.id })).toMatchObject({
      state: 'active',
      consecutiveFailures: 0,
      disabledReason: null,
    });
  });

  it('not answering within the deadline is a failure: retried, then disabled', async () => {
    const sub = await subscribe('silent');
    await receiver.control('silent', { delayMs: 3_000 });
    await place('c-silent');
    const view = await waitFor('disabled after timeouts', async () => {
      const v = await app.client('admin').subscriptions.get.query({ id: sub.id });
      return v.state === 'disabled' ? v : undefined;
    });
    expect(view.lastError).toBe('no answer within 2000 ms');
    const { deliveries } = await app.client('admin').subscriptions.deliveries.query({ id: sub.id });
    expect(deliveries.map((d) => [d.outcome, d.statusCode])).toEqual(
      Array(4).fill(['failed', null]),
    );
    expect(Math.min(...deliveries.map((d) => d.durationMs))).toBeGreaterThanOrEqual(1_900);
  });

  it('answering 410 Gone is disabled at once', async () => {
    const sub = await subscribe('gone', 410);
    const order = await place('c-gone');
    const view = await waitFor('disabled by 410', async () => {
      const v = await app.client('admin').subscriptions.get.query({ id: sub.id });
      return v.state === 'disabled' ? v : undefined;
    });
    expect(view.disabledReason).toMatch(/410 Gone/);
    const attempts = (await receiver.received('gone')).filter(
      (r) => r.body.data.orderId === order.orderId,
    );
    expect(attempts).toHaveLength(1);
    await waitFor('flagged disabled', async () =>
      (await flag(sub.id)) === 'disabled' ? true : undefined,
    );
  });

  it('asking Retry-After is retried after that long, not the schedule step', async () => {
    const sub = await subscribe('busy', 503);
    await receiver.control('busy', { retryAfter: 3 });
    await place('c-busy');
    const tried = await waitFor('a retry', async () => {
      const got = await receiver.received('busy');
      return got.length >= 2 ? got : undefined;
    });
    expect((tried[1]?.at ?? 0) - (tried[0]?.at ?? 0)).toBeGreaterThanOrEqual(2_900);
    await receiver.control('busy', { status: 200, retryAfter: null });
    await waitFor('delivered', async () =>
      (await receiver.received('busy')).some((r) => r.answered === 200) ? true : undefined,
    );
    // The receiver records before it answers: the batch ends a moment later.
    await waitFor('active again', async () =>
      (await app.client('admin').subscriptions.get.query({ id: sub.id })).state === 'active'
        ? true
        : undefined,
    );
  });
});

describe('secret rotation', () => {
  it('signs with the new and the previous secret for 24 h, each verifying alone', async () => {
    const admin = app.client('admin');
    const sub = await subscribe('rotated');
    await place('c-before-rotation');
    await waitFor('one delivery', async () =>
      (await receiver.received('rotated')).length >= 1 ? true : undefined,
    );
    const rotated = await admin.subscriptions.rotateSecret.mutate({ id: sub.id });
    expect(rotated.secret).not.toBe(sub.secret);
    const until = Date.parse(rotated.previousSecretUntil ?? '');
    expect(until - Date.now()).toBeGreaterThan(23.9 * 3600_000);
    await receiver.control('rotated', { secrets: [rotated.secret, sub.secret] });
    const after = await place('c-after-rotation');
    const got = await waitFor('the delivery after rotation', async () =>
      (await receiver.received('rotated')).find((r) => r.body.data.orderId === after.orderId),
    );
    expect(got.signature.split(' ')).toHaveLength(2);
    expect(got.verifiedWith).toEqual([0, 1]);
    const before = (await receiver.received('rotated'))[0];
    expect(before?.signature.split(' ')).toHaveLength(1);
    expect(outOfOrder(await receiver.received('rotated'))).toEqual([]);
  });
});
