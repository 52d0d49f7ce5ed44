import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscriberId } from '../temporal/subscribers';
import { startTestApp, type TestApp } from './support/app';
import { waitFor } from './support/wait';
import { type Receiver, startReceiver } from './support/webhook-receiver';

// Without SUBSCRIPTIONS_ALLOW_PRIVATE_URLS, private, loopback and link-local addresses are
// refused at create (the API) and again at delivery (the worker), whatever the URL says.

let strict: TestApp;
let permissive: TestApp;
let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
  strict = await startTestApp(undefined, {
    webhooks: { allowPrivateUrls: false, retrySchedule: [1] },
  });
  // An API that allowed it (the setting changed since, or another deployment's API): the
  // workers still check every address they deliver to.
  permissive = await startTestApp([], { webhooks: { allowPrivateUrls: true } });
});
afterAll(async () => {
  await permissive?.stop();
  await strict?.stop();
  await receiver?.stop();
});

describe('subscription URLs', () => {
  it.each([
    ['http://127.0.0.1:9/x', /127\.0\.0\.1 \(loopback\).*SUBSCRIPTIONS_ALLOW_PRIVATE_URLS/],
    ['http://localhost:9/x', /\(loopback\)/],
    ['http://[::1]:9/x', /::1 \(loopback\)/],
    ['http://[::ffff:127.0.0.1]:9/x', /IPv4 loopback \(embedded\)/],
    ['http://169.254.169.254/latest/meta-data', /link-local/],
    ['http://10.0.0.7/hook', /private/],
    ['http://[fd00::1]/hook', /unique-local/],
    ['ftp://example.com/hook', /must be http\(s\)/],
  ])('%s is refused at create', async (url, why) => {
    await expect(strict.client('admin').subscriptions.create.mutate({ url })).rejects.toThrow(why);
  });

  it('an address accepted elsewhere is refused again at delivery: nothing reaches it, the subscription is disabled', async () => {
    const sub = await permissive.client('admin').subscriptions.create.mutate({
      url: receiver.url('private'),
    });
    const order = await strict.client('writer').orders.place.mutate({
      commandId: randomUUID(),
      customerId: 'c-private',
      region: 'eu',
      currency: 'EUR',
      items: [{ productId: 'p-1', quantity: 1, unitPriceMinor: 100 }],
    });
    const admin = strict.client('admin');
    const view = await waitFor('disabled', async () => {
      const v = await admin.subscriptions.get.query({ id: sub.id });
      return v.state === 'disabled' ? v : undefined;
    });
    expect(view.disabledReason).toMatch(/retries spent/);
    const { deliveries } = await admin.subscriptions.deliveries.query({ id: sub.id });
    expect(deliveries.length).toBeGreaterThan(0);
    for (const d of deliveries) {
      expect(d).toMatchObject({
        outcome: 'refused',
        statusCode: null,
        position: expect.any(Number),
      });
      expect(d.error).toMatch(/resolves to 127\.0\.0\.1 \(loopback\)/);
    }
    expect(await receiver.received('private')).toEqual([]);
    expect(order.version).toBe(1);
  });
});

describe('subscription procedures refuse what they cannot do', () => {
  const missing = '6f1c2a36-8d7e-4c39-9d1e-0b5f7c1d2e3f';

  it('unknown ids are NOT_FOUND; a replay needs one starting point; event types are the public ones', async () => {
    const admin = strict.client('admin');
    await expect(admin.subscriptions.get.query({ id: missing })).rejects.toThrow(/no subscription/);
    await expect(admin.subscriptions.delete.mutate({ id: missing })).rejects.toThrow(
      /no subscription/,
    );
    await expect(
      admin.subscriptions.update.mutate({ id: missing, description: 'x' }),
    ).rejects.toThrow(/no subscription/);
    await expect(admin.subscriptions.rotateSecret.mutate({ id: missing })).rejects.toThrow(
      /no subscription/,
    );
    await expect(admin.subscriptions.replay.mutate({ id: missing })).rejects.toThrow(
      /give fromPosition or from/,
    );
    await expect(
      admin.subscriptions.replay.mutate({
        id: missing,
        fromPosition: 1,
        from: '2026-01-01T00:00:00Z',
      }),
    ).rejects.toThrow(/give fromPosition or from/);
    await expect(
      admin.subscriptions.create.mutate({ url: 'https://example.com/x', events: [] }),
    ).rejects.toThrow(/leave events out/);
    await expect(
      admin.subscriptions.create.mutate({
        url: 'https://example.com/x',
        // @ts-expect-error: not a public event type
        events: ['OrderPlaced'],
      }),
    ).rejects.toThrow(/events/);
    // Only admins.
    await expect(strict.client('writer').subscriptions.list.query()).rejects.toThrow(
      /FORBIDDEN|admin/,
    );
  });

  it('deleting a subscription ends its subscriber', async () => {
    const sub = await permissive.client('admin').subscriptions.create.mutate({
      url: receiver.url('deleted'),
    });
    const handle = strict.connections.temporal.workflow.getHandle(subscriberId(sub.id));
    await strict.client('admin').subscriptions.delete.mutate({ id: sub.id });
    expect(await handle.result()).toBe('deleted');
    await expect(strict.client('admin').subscriptions.get.query({ id: sub.id })).rejects.toThrow(
      /no subscription/,
    );
  });
});
