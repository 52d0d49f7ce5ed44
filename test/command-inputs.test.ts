import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config } from '../config/env';
import {
  CURRENT_SCHEMA_VERSION,
  decide,
  evolve,
  initialState,
  LIMITS,
  type OrderCommand,
  orderStreamId,
} from '../domain';
import { EventStore } from '../eventstore';
import { ordersAlias, readOrderDocument } from '../projections/elasticsearch';
import { startTestApp, type TestApp, TOKENS } from './support/app';
import { fresh, waitFor } from './support/wait';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.stop());

interface ErrorBody {
  error?: { message: string; data: { code: string; issues?: { path: string; message: string }[] } };
}

async function post(procedure: string, body: unknown, token = TOKENS.writer) {
  const res = await app.fetch(`${app.url}/trpc/${procedure}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as ErrorBody };
}

/** Events stored for a customer: a refused command must have written none. */
async function eventsOfCustomer(customerId: string): Promise<number> {
  const { rows } = await app.connections.pool.query<{ n: string }>(
    `select count(*) as n from events where data->>'customerId' = $1`,
    [customerId],
  );
  return Number(rows[0]?.n);
}

async function projectedStatus(orderId: string, status: string) {
  const alias = ordersAlias(config().ES_INDEX_PREFIX);
  await waitFor(`order ${orderId} ${status} in Elasticsearch`, async () =>
    (await readOrderDocument(app.connections.es, alias, orderId))?.status === status
      ? true
      : undefined,
  );
  await app.connections.es.indices.refresh({ index: alias });
}

const items = [{ productId: 'p-cur', quantity: 1, unitPriceMinor: 100 }];

describe('currency codes', () => {
  it('a new order needs an ISO 4217 code: XYZ, ABC and QQQ are 400 and write nothing', async () => {
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    for (const currency of ['XYZ', 'ABC', 'QQQ']) {
      const res = await post('orders.place', { customerId, region: 'eu', currency, items });
      expect(res.status).toBe(400);
      expect(res.body.error?.data.code).toBe('BAD_REQUEST');
      expect(res.body.error?.data.issues).toEqual([
        { path: 'currency', message: expect.stringContaining('ISO 4217') },
      ]);
    }
    expect(await eventsOfCustomer(customerId)).toBe(0);
    const ok = await post('orders.place', { customerId, region: 'eu', currency: 'JPY', items });
    expect(ok.status).toBe(200);
  });

  it('an order stored earlier with a code that is not ISO 4217 still completes and reports', async () => {
    // As an API without the check stored it: straight into the event store.
    const orderId = `o-${randomUUID()}`;
    const at = new Date().toISOString();
    const decision = decide(
      {
        type: 'PlaceOrder',
        orderId,
        customerId: 'c-old',
        region: 'old',
        currency: 'XYZ',
        items,
        at,
      },
      initialState,
    );
    if (!decision.ok) throw new Error(decision.error.message);
    await new EventStore(app.connections.pool).append(
      orderStreamId(orderId),
      0,
      decision.events.map((e) => ({ ...e, schemaVersion: CURRENT_SCHEMA_VERSION[e.type] })),
      {
        commandId: randomUUID(),
        commandType: 'PlaceOrder',
        payloadHash: 'stored-before-the-check',
        metadata: { correlationId: 'test', causationId: 'test', actor: 'test', occurredAt: at },
      },
    );
    const completed = await post('orders.complete', { orderId });
    expect(completed.status, JSON.stringify(completed.body)).toBe(200);
    await projectedStatus(orderId, 'completed');
    const report = await app
      .client('reader')
      .reports.monthly.query({ month: at.slice(0, 7), currency: 'XYZ', region: 'old' });
    expect(report.totals).toEqual({ orderCount: 1, totalQuantity: 1, totalSalesMinor: 100 });
  });
});

/** Appends an order's events straight to the store, as an API without the future check did. */
async function storeOrder(at: string, completedAt?: string): Promise<string> {
  const orderId = `o-${randomUUID()}`;
  let state = initialState;
  const commands: OrderCommand[] = [
    { type: 'PlaceOrder', orderId, customerId: 'c-fut', region: 'fut', currency: 'EUR', items, at },
  ];
  if (completedAt) commands.push({ type: 'CompleteOrder', orderId, at: completedAt });
  const store = new EventStore(app.connections.pool);
  for (const [version, command] of commands.entries()) {
    const decision = decide(command, state);
    if (!decision.ok) throw new Error(decision.error.message);
    for (const e of decision.events) state = evolve(state, e);
    await store.append(
      orderStreamId(orderId),
      version,
      decision.events.map((e) => ({ ...e, schemaVersion: CURRENT_SCHEMA_VERSION[e.type] })),
      {
        commandId: randomUUID(),
        commandType: command.type,
        payloadHash: 'stored-before-the-check',
        metadata: { correlationId: 'test', causationId: 'test', actor: 'test', occurredAt: at },
      },
    );
  }
  return orderId;
}

describe('`at` in the future', () => {
  const FUTURE = '2099-01-01T00:00:00.000Z';

  it('is refused beyond the allowed clock skew on place, complete and refund; writes nothing', async () => {
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    const tooLate = new Date(Date.now() + LIMITS.maxClockSkewMs + 60_000).toISOString();
    for (const at of [FUTURE, tooLate]) {
      const placed = await post(
        'orders.place',
        { customerId, region: 'eu', currency: 'EUR', items, at },
        TOKENS.admin,
      );
      expect(placed.status).toBe(400);
      expect(placed.body.error?.data.issues).toEqual([
        { path: 'at', message: expect.stringContaining('future') },
      ]);
    }
    expect(await eventsOfCustomer(customerId)).toBe(0);

    const orderId = (
      await app
        .client('admin')
        .orders.place.mutate({ customerId, region: 'eu', currency: 'EUR', items })
    ).orderId;
    const complete = await post('orders.complete', { orderId, at: FUTURE }, TOKENS.admin);
    expect(complete.status).toBe(400);
    expect(complete.body.error?.data.issues?.map((i) => i.path)).toEqual(['at']);
    // Within the skew: accepted.
    const soon = new Date(Date.now() + 60_000).toISOString();
    const completed = await post('orders.complete', { orderId, at: soon }, TOKENS.admin);
    expect(completed.status, JSON.stringify(completed.body)).toBe(200);
    const refund = await post('orders.refund', { orderId, reason: 'r', at: FUTURE }, TOKENS.admin);
    expect(refund.status).toBe(400);
    expect(refund.body.error?.data.issues?.map((i) => i.path)).toEqual(['at']);
  });

  it('an order already stuck in the future: commands without `at` take effect at its last change', async () => {
    const completedFuture = await storeOrder('2098-12-31T00:00:00.000Z', FUTURE);
    const refund = await post('orders.refund', { orderId: completedFuture, reason: 'late' });
    expect(refund.status, JSON.stringify(refund.body)).toBe(200);

    const placedFuture = await storeOrder(FUTURE);
    const cancel = await post('orders.cancel', { orderId: placedFuture, reason: 'stuck' });
    expect(cancel.status, JSON.stringify(cancel.body)).toBe(200);

    const { rows } = await app.connections.pool.query<{
      type: string;
      data: Record<string, string>;
    }>(
      `select event_type as type, data from events where stream_id = any($1) and event_type in ('OrderRefunded', 'OrderCancelled')`,
      [[orderStreamId(completedFuture), orderStreamId(placedFuture)]],
    );
    expect(rows.map((r) => r.data.refundedAt ?? r.data.cancelledAt)).toEqual([FUTURE, FUTURE]);
  });
});

describe('instants and searches', () => {
  it('`at` takes any ISO-8601 offset spelling, seconds optional; stored as UTC', async () => {
    const admin = app.client('admin');
    for (const [at, utc] of [
      ['2024-08-03T10:00Z', '2024-08-03T10:00:00.000Z'],
      ['2024-08-03T10:00:00+0530', '2024-08-03T04:30:00.000Z'],
      ['2024-08-03T10:00-03', '2024-08-03T13:00:00.000Z'],
    ]) {
      const { orderId } = await admin.orders.place.mutate({
        customerId: 'c-iso',
        region: 'eu',
        currency: 'EUR',
        items,
        at,
      });
      const found = await waitFor(`order placed at ${at} projected`, async () =>
        fresh(await admin.orders.get.query({ orderId, minVersion: 1 })),
      );
      expect(found.placedAt, at).toBe(utc);
    }
  });

  it('orders.search refuses placedFrom after placedTo; equal bounds are an empty range', async () => {
    const search = (input: Record<string, unknown>) =>
      app
        .fetch(`${app.url}/trpc/orders.search?input=${encodeURIComponent(JSON.stringify(input))}`, {
          headers: { authorization: `Bearer ${TOKENS.reader}` },
        })
        .then(async (r) => ({ status: r.status, body: (await r.json()) as ErrorBody }));
    const refused = await search({
      placedFrom: '2025-02-01T00:00:00Z',
      placedTo: '2025-01-01T00:00:00Z',
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error?.data.issues?.map((i) => i.path)).toEqual(['placedTo']);
    const equal = await search({ placedFrom: '2025-01-01T00:00Z', placedTo: '2025-01-01T00:00Z' });
    expect(equal.status).toBe(200);
  });

  it('orders.search hands out nextCursor only when another page has orders', async () => {
    const writer = app.client('writer');
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    let last = 0;
    for (let i = 0; i < 2; i += 1) {
      last = (
        await writer.orders.place.mutate({ customerId, region: 'eu', currency: 'EUR', items })
      ).position;
    }
    const reader = app.client('reader');
    const full = await reader.orders.search.query({ customerId, pageSize: 2, minPosition: last });
    expect(full.stale).toBe(false);
    expect(full.items).toHaveLength(2);
    expect(full.nextCursor).toBeNull();
    const first = await reader.orders.search.query({ customerId, pageSize: 1 });
    expect(first.nextCursor).not.toBeNull();
    const second = await reader.orders.search.query({
      customerId,
      pageSize: 1,
      cursor: first.nextCursor ?? undefined,
    });
    expect(second.items).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
  });
});
