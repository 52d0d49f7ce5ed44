import { randomUUID } from 'node:crypto';
import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppRouter } from '../api/client';
import { fold, type OrderCancelledV1, upcast } from '../domain';
import { orderStreamId } from '../domain/streams';
import { EventStore } from '../eventstore';
import { startTestApp, type TestApp, TOKENS } from './support/app';
import { fresh, waitFor } from './support/wait';

let app: TestApp;
let store: EventStore;
beforeAll(async () => {
  app = await startTestApp();
  store = new EventStore(app.connections.pool);
});
afterAll(() => app?.stop());

const placeInput = () => ({
  customerId: 'c-1',
  region: 'eu',
  currency: 'EUR',
  items: [
    { productId: 'p-1', quantity: 2, unitPriceMinor: 1999 },
    { productId: 'p-2', quantity: 1, unitPriceMinor: 500 },
  ],
});

interface HttpBody {
  result: { data: { orderId: string; version: number; position: number; commandId: string } };
  error: { message: string; data: { code: string; issues?: { path: string }[] } };
}

async function post(path: string, body: unknown, token: string | null = TOKENS.writer) {
  const res = await fetch(`${app.url}/trpc/${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const answer = (await res.json()) as HttpBody;
  app.contract.checkTrpc(path, res.status, answer);
  return { status: res.status, commandIdHeader: res.headers.get('x-command-id'), body: answer };
}

async function trpcCode(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    if (err instanceof TRPCClientError) return (err as TRPCClientError<AppRouter>).data?.code;
    throw err;
  }
}

async function eventCount(orderId: string): Promise<number> {
  return (await store.readStream(orderStreamId(orderId))).length;
}

describe('orders command API over plain JSON HTTP', () => {
  it('places, completes and refunds an order; replies carry version and position', async () => {
    const placed = await post('orders.place', placeInput());
    expect(placed.status).toBe(200);
    const reply = placed.body.result.data;
    expect(reply).toMatchObject({ orderId: expect.stringMatching(/^o-/), version: 1 });
    expect(reply.position).toBeGreaterThan(0);

    const completed = await post('orders.complete', { orderId: reply.orderId });
    expect(completed.body.result.data).toMatchObject({ orderId: reply.orderId, version: 2 });
    expect(completed.body.result.data.position).toBeGreaterThan(reply.position);

    const refunded = await post('orders.refund', { orderId: reply.orderId, reason: 'broken' });
    expect(refunded.body.result.data.version).toBe(3);

    const events = await store.readStream(orderStreamId(reply.orderId));
    expect(events.map((e) => e.type)).toEqual(['OrderPlaced', 'OrderCompleted', 'OrderRefunded']);
    expect(events[0]?.data).toMatchObject({ totalMinor: 4498, currency: 'EUR' });
    expect(events[0]?.metadata.actor).toMatch(/^writer:[0-9a-f]{8}$/);
  });

  it('cancels a placed order: the stored OrderCancelled carries the reason, the order is cancelled', async () => {
    const { orderId } = await app.client('writer').orders.place.mutate(placeInput());
    const before = new Date().toISOString();
    const cancelled = await app
      .client('writer')
      .orders.cancel.mutate({ orderId, reason: 'changed mind' });
    const after = new Date().toISOString();
    expect(cancelled).toMatchObject({ orderId, version: 2 });

    const events = await store.readStream(orderStreamId(orderId));
    expect(events.map((e) => [e.type, e.streamVersion])).toEqual([
      ['OrderPlaced', 1],
      ['OrderCancelled', 2],
    ]);
    const stored = events[1];
    if (!stored) throw new Error('no OrderCancelled stored');
    expect(stored.globalPosition).toBe(cancelled.position);
    expect(stored.metadata.actor).toMatch(/^writer:[0-9a-f]{8}$/);
    const data = stored.data as OrderCancelledV1;
    expect(data).toEqual({ orderId, reason: 'changed mind', cancelledAt: expect.any(String) });
    // Cancels carry no `at`: the API stamps the time it received the command.
    expect(data.cancelledAt >= before && data.cancelledAt <= after).toBe(true);

    // The order's state, folded from the store and as the read side serves it.
    expect(fold(events.map((e) => upcast(e)))).toMatchObject({
      status: 'cancelled',
      cancelReason: 'changed mind',
      cancelledAt: data.cancelledAt,
    });
    const read = await waitFor('the cancellation projected', async () =>
      fresh(await app.client('reader').orders.get.query({ orderId, minVersion: 2 })),
    );
    expect(read).toMatchObject({
      status: 'cancelled',
      version: 2,
      stale: false,
      cancelledAt: data.cancelledAt,
      completedAt: null,
      reportMonth: null,
    });
    // Cancelled is final: a later complete is refused and writes nothing.
    expect(await trpcCode(app.client('writer').orders.complete.mutate({ orderId }))).toBe(
      'CONFLICT',
    );
    expect(await eventCount(orderId)).toBe(2);
  });

  it('the same commandId twice yields one order and the same reply', async () => {
    const commandId = randomUUID();
    const first = await post('orders.place', { ...placeInput(), commandId });
    const second = await post('orders.place', { ...placeInput(), commandId });
    expect(second.body).toEqual(first.body);
    expect(await eventCount(first.body.result.data.orderId)).toBe(1);
  });

  it('a repeat answers as the first time, refusals included, and the same id with another payload is a CONFLICT', async () => {
    const commandId = randomUUID();
    const first = await app.client('writer').orders.place.mutate({ ...placeInput(), commandId });
    const again = await app.client('writer').orders.place.mutate({ ...placeInput(), commandId });
    expect(again).toEqual(first);

    const missing = { orderId: `missing-${randomUUID()}`, commandId: randomUUID() };
    expect(await trpcCode(app.client('writer').orders.complete.mutate(missing))).toBe('NOT_FOUND');
    // Even once the order exists, the refused command id keeps its first answer.
    expect(await trpcCode(app.client('writer').orders.complete.mutate(missing))).toBe('NOT_FOUND');
    expect(
      await trpcCode(
        app.client('writer').orders.complete.mutate({ ...missing, orderId: 'other-order' }),
      ),
    ).toBe('CONFLICT');
    const { rows } = await app.connections.pool.query(
      'select count(*)::int as n from events where metadata->>$1 = $2',
      ['commandId', missing.commandId],
    );
    expect(rows[0].n).toBe(0);
  });

  it('a command sent without a commandId gets one, returned in the reply and the x-command-id header, that finds it', async () => {
    const placed = await post('orders.place', placeInput());
    expect(placed.status).toBe(200);
    const { commandId } = placed.body.result.data;
    expect(commandId).toMatch(/^[0-9a-f-]{36}$/);
    expect(placed.commandIdHeader).toBe(commandId);
    expect(await app.client('admin').admin.commands.get.query({ commandId })).toMatchObject({
      commandId,
      outcome: 'committed',
      orderId: placed.body.result.data.orderId,
    });
    // A refusal names its command too, so a caller can look it up or retry with it.
    const refused = await post('orders.complete', { orderId: 'o-no-such-order' });
    expect(refused.status).toBe(404);
    expect(refused.commandIdHeader).toMatch(/^[0-9a-f-]{36}$/);
    // A caller's own id is echoed as sent.
    const own = randomUUID();
    const named = await post('orders.place', { ...placeInput(), commandId: own });
    expect(named.body.result.data.commandId).toBe(own);
    expect(named.commandIdHeader).toBe(own);
  });

  it("orders.history answers the order's events from the event store, in version order, a page at a time", async () => {
    const writer = app.client('writer');
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const placed = await writer.orders.place.mutate({ ...placeInput(), commandId: ids[0] });
    await writer.orders.complete.mutate({ orderId: placed.orderId, commandId: ids[1] });
    await writer.orders.refund.mutate({
      orderId: placed.orderId,
      reason: 'late',
      commandId: ids[2],
    });
    const reader = app.client('reader');
    const all = await reader.orders.history.query({ orderId: placed.orderId });
    expect(all.events.map((e) => [e.version, e.type, e.metadata.commandId])).toEqual([
      [1, 'OrderPlaced', ids[0]],
      [2, 'OrderCompleted', ids[1]],
      [3, 'OrderRefunded', ids[2]],
    ]);
    expect(all.events[0]).toMatchObject({
      position: placed.position,
      data: { orderId: placed.orderId, totalMinor: 4498, currency: 'EUR' },
      metadata: { actor: expect.stringMatching(/^writer:/) },
    });
    expect(all.nextAfterVersion).toBeNull();
    const first = await reader.orders.history.query({ orderId: placed.orderId, pageSize: 2 });
    expect(first.events.map((e) => e.version)).toEqual([1, 2]);
    expect(first.nextAfterVersion).toBe(2);
    const rest = await reader.orders.history.query({
      orderId: placed.orderId,
      afterVersion: 2,
      pageSize: 2,
    });
    expect(rest.events.map((e) => e.version)).toEqual([3]);
    expect(rest.nextAfterVersion).toBeNull();
    expect(await trpcCode(reader.orders.history.query({ orderId: 'o-never-placed' }))).toBe(
      'NOT_FOUND',
    );
    expect(
      await trpcCode(reader.orders.history.query({ orderId: placed.orderId, pageSize: 0 })),
    ).toBe('BAD_REQUEST');
  });

  it('admin.commands.get answers where and how a command ended', async () => {
    const admin = app.client('admin');
    const commandId = randomUUID();
    const placed = await app.client('writer').orders.place.mutate({ ...placeInput(), commandId });
    const committed = await admin.admin.commands.get.query({ commandId });
    expect(committed).toMatchObject({
      commandId,
      orderId: placed.orderId,
      outcome: 'committed',
      commandType: 'PlaceOrder',
      version: placed.version,
      position: placed.position,
    });
    // The workflow whose history holds it (as an update with this id) exists.
    const described = await app.connections.temporal.workflow
      .getHandle(committed.workflowId)
      .describe();
    expect(['RUNNING', 'COMPLETED', 'CONTINUED_AS_NEW']).toContain(described.status.name);

    const refusedId = randomUUID();
    await trpcCode(
      app.client('writer').orders.complete.mutate({ commandId: refusedId, orderId: 'no-such' }),
    );
    expect(await admin.admin.commands.get.query({ commandId: refusedId })).toMatchObject({
      outcome: 'refused',
      orderId: 'no-such',
      error: { code: 'OrderNotFound' },
    });
    expect(await trpcCode(admin.admin.commands.get.query({ commandId: randomUUID() }))).toBe(
      'NOT_FOUND',
    );
  });

  it('the same commandId submitted 5 times concurrently yields one set of events', async () => {
    const commandId = randomUUID();
    const replies = await Promise.all(
      Array.from({ length: 5 }, () =>
        app.client('writer').orders.place.mutate({ ...placeInput(), commandId }),
      ),
    );
    expect(new Set(replies.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(await eventCount(replies[0]?.orderId ?? '')).toBe(1);
  });

  it('the same commandId with a different payload is a CONFLICT', async () => {
    const commandId = randomUUID();
    await post('orders.place', { ...placeInput(), commandId });
    const other = await post('orders.place', { ...placeInput(), currency: 'USD', commandId });
    expect(other.status).toBe(409);
    expect(other.body.error.data.code).toBe('CONFLICT');
    expect(other.body.error.message).toMatch(/already used for a different command/);
  });

  it('concurrent completes of one order yield exactly one OrderCompleted', async () => {
    const { orderId } = await app.client('writer').orders.place.mutate(placeInput());
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => app.client('writer').orders.complete.mutate({ orderId })),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(ok).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected')
        expect(await trpcCode(Promise.reject(r.reason))).toBe('CONFLICT');
    }
    const events = await store.readStream(orderStreamId(orderId));
    expect(events.filter((e) => e.type === 'OrderCompleted')).toHaveLength(1);
  });

  it('BAD_REQUEST with the zod issue paths, and nothing persisted', async () => {
    const commandId = randomUUID();
    const bad = await post('orders.place', {
      ...placeInput(),
      commandId,
      currency: 'euro',
      items: [{ productId: 'p 1', quantity: 1.5, unitPriceMinor: -1 }],
      extra: true,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.data.code).toBe('BAD_REQUEST');
    const paths = bad.body.error.data.issues?.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'currency',
        'items.0.productId',
        'items.0.quantity',
        'items.0.unitPriceMinor',
      ]),
    );
    expect(bad.body.error.message).toMatch(/^Invalid input: /);
    expect(await store.findCommand(commandId)).toBeNull();

    const malformed = await post('orders.place', '{"customerId": ');
    expect(malformed.status).toBe(400);
  });

  it('NOT_FOUND for an unknown order, CONFLICT for a transition not allowed', async () => {
    expect(
      await trpcCode(app.client('writer').orders.complete.mutate({ orderId: 'no-such-order' })),
    ).toBe('NOT_FOUND');
    expect(await eventCount('no-such-order')).toBe(0);
    const { orderId } = await app.client('writer').orders.place.mutate(placeInput());
    const refund = await post('orders.refund', { orderId, reason: 'x' });
    expect(refund.status).toBe(409);
    expect(refund.body.error.message).toMatch(/cannot refund order .* it is placed/);
    expect(await eventCount(orderId)).toBe(1);
  });

  it('UNAUTHORIZED without or with an unknown token, FORBIDDEN for a reader', async () => {
    expect((await post('orders.place', placeInput(), null)).body.error.data.code).toBe(
      'UNAUTHORIZED',
    );
    expect((await post('orders.place', placeInput(), 'not-a-real-token-at-all')).status).toBe(401);
    const reader = await post('orders.place', placeInput(), TOKENS.reader);
    expect(reader.status).toBe(403);
    expect(reader.body.error.message).toMatch(/needs the writer role/);
  });

  it('`at` is accepted from an admin only', async () => {
    const at = '2025-10-31T23:30:00+00:00';
    expect(await trpcCode(app.client('writer').orders.place.mutate({ ...placeInput(), at }))).toBe(
      'FORBIDDEN',
    );
    const { orderId } = await app.client('admin').orders.place.mutate({ ...placeInput(), at });
    await app.client('admin').orders.complete.mutate({ orderId, at: '2025-11-01T08:00:00+08:00' });
    const events = await store.readStream(orderStreamId(orderId));
    expect(events[0]?.data).toMatchObject({ placedAt: '2025-10-31T23:30:00.000Z' });
    expect(events[1]?.data).toMatchObject({ completedAt: '2025-11-01T00:00:00.000Z' });
    // A cancellation imported from history keeps its date too.
    const other = await app.client('admin').orders.place.mutate({ ...placeInput(), at });
    const cancelAt = '2025-11-02T09:15:00Z';
    expect(
      await trpcCode(
        app
          .client('writer')
          .orders.cancel.mutate({ orderId: other.orderId, reason: 'x', at: cancelAt }),
      ),
    ).toBe('FORBIDDEN');
    await app
      .client('admin')
      .orders.cancel.mutate({ orderId: other.orderId, reason: 'imported', at: cancelAt });
    const cancelled = await store.readStream(orderStreamId(other.orderId));
    expect(cancelled[1]?.data).toMatchObject({ cancelledAt: '2025-11-02T09:15:00.000Z' });
  });

  it('GET /healthz tells anonymous callers up or down only', async () => {
    for (const authorization of [undefined, `Bearer ${TOKENS.reader}`, 'Bearer not-a-token']) {
      const res = await fetch(`${app.url}/healthz`, {
        headers: authorization ? { authorization } : {},
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
    }
  });

  it('GET /healthz with the admin token reports each dependency', async () => {
    const res = await fetch(`${app.url}/healthz`, {
      headers: { authorization: `Bearer ${TOKENS.admin}` },
    });
    const body = (await res.json()) as {
      status: string;
      dependencies: Record<string, { ok: boolean; latencyMs: number }>;
    };
    expect(res.status).toBe(200);
    expect(body.status).toBe('ok');
    expect(Object.keys(body.dependencies).sort()).toEqual([
      'elasticsearch',
      'postgres',
      'redis',
      'temporal',
    ]);
    expect(Object.values(body.dependencies).every((d) => d.ok)).toBe(true);
  });
});
