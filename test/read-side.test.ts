import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppRouter } from '../api/client';
import { READ_YOUR_WRITES_WAIT_MS } from '../api/order-queries';
import { config } from '../config/env';
import { AppendListener, EventStore, ProjectionCheckpoints } from '../eventstore';
import { ordersAlias, readOrderDocument } from '../projections/elasticsearch';
import { startTestApp, type TestApp } from './support/app';
import { expectedReport, type GeneratedOrder, generateOrders } from './support/orders';
import { waitFor } from './support/wait';

/** Slack over a documented wait before a test calls it unbounded (a loaded CI machine). */
const BOUND_MARGIN_MS = 4_000;

let app: TestApp;
/** The database's clock when this file started: events it records are compared to it. */
let fileStartedAt: Date;
beforeAll(async () => {
  app = await startTestApp();
  const { rows } = await app.connections.pool.query<{ now: Date }>('select now() as now');
  if (!rows[0]) throw new Error('no time from the database');
  fileStartedAt = rows[0].now;
});
afterAll(() => app?.stop());

const placeInput = (currency = 'EUR') => ({
  customerId: 'c-read',
  region: 'eu',
  currency,
  items: [{ productId: 'p-read', quantity: 2, unitPriceMinor: 1234 }],
});

async function code(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof TRPCClientError) return (err as TRPCClientError<AppRouter>).data?.code;
    throw err;
  }
  return undefined;
}

/** Waits until every generated order is in Elasticsearch at its latest version. */
async function projected(orders: GeneratedOrder[]): Promise<void> {
  const alias = ordersAlias(config().ES_INDEX_PREFIX);
  await waitFor(
    'all orders projected',
    async () => {
      for (const o of orders) {
        const doc = await readOrderDocument(app.connections.es, alias, o.orderId);
        if (!doc || doc.version < o.version) return undefined;
      }
      return true;
    },
    60_000,
    200,
  );
  await app.connections.es.indices.refresh({ index: alias });
}

describe('query side', () => {
  it('a placed-and-completed order is readable at the version the command returned', async () => {
    const writer = app.client('writer');
    const reader = app.client('reader');
    const { orderId } = await writer.orders.place.mutate(placeInput());
    const completed = await writer.orders.complete.mutate({ orderId });
    const order = await reader.orders.get.query({ orderId, minVersion: completed.version });
    expect(order).toMatchObject({
      orderId,
      version: 2,
      status: 'completed',
      stale: false,
      totalMinor: 2468,
      currency: 'EUR',
      items: [{ productId: 'p-read', quantity: 2, unitPriceMinor: 1234, lineTotalMinor: 2468 }],
    });
    expect(order.reportMonth).toBe(order.completedAt?.slice(0, 7));
    expect(await code(reader.orders.get.query({ orderId: 'no-such-order' }))).toBe('NOT_FOUND');
  });

  it('minVersion beyond what exists answers stale after a bounded wait', async () => {
    const { orderId } = await app.client('writer').orders.place.mutate(placeInput());
    const current = await app.client('reader').orders.get.query({ orderId, minVersion: 1 });
    expect(current).toMatchObject({ version: 1, stale: false });
    const started = Date.now();
    const order = await app.client('reader').orders.get.query({ orderId, minVersion: 5 });
    const waited = Date.now() - started;
    expect(order).toMatchObject({ version: 1, stale: true });
    // It waited the documented 2 s for version 5 (not answered at once) ...
    expect(waited).toBeGreaterThanOrEqual(READ_YOUR_WRITES_WAIT_MS);
    // ... and then answered instead of hanging: the bound plus one last read and a generous
    // margin for a loaded machine, far below anything that would mean "no bound".
    expect(waited).toBeLessThan(READ_YOUR_WRITES_WAIT_MS + BOUND_MARGIN_MS);
  });

  it('projections are idempotent and ignore out-of-order deliveries', async () => {
    const { orderId } = await app.client('writer').orders.place.mutate(placeInput());
    const done = await app.client('writer').orders.complete.mutate({ orderId });
    // Both live projections first (orders.get may answer from Redis before Elasticsearch).
    await waitFor('live projections done', async () => {
      const es = await readOrderDocument(
        app.connections.es,
        ordersAlias(config().ES_INDEX_PREFIX),
        orderId,
      );
      const order = await app
        .client('reader')
        .orders.get.query({ orderId, minVersion: done.version });
      return es?.version === done.version && !order.stale ? true : undefined;
    });
    const { createProjectionActivities } = await import('../activities/projection-activities');
    const { writeOrderDocument } = await import('../projections/elasticsearch/write-orders');
    const { writeOrderSummary, readOrderSummary } = await import(
      '../projections/redis/order-cache'
    );
    const acts = createProjectionActivities({
      store: new EventStore(app.connections.pool),
      checkpoints: new ProjectionCheckpoints(app.connections.pool),
      listener: new AppendListener(config().DATABASE_URL),
      parkProjection: () => Promise.reject(new Error('nothing is refused here')),
      es: app.connections.es,
      redis: app.connections.redis,
      esPrefix: config().ES_INDEX_PREFIX,
      redisPrefix: config().REDIS_KEY_PREFIX,
      reportTimeZone: 'UTC',
      requestRerollup: () => Promise.reject(new Error('this month was never rolled up')),
    });
    // The same event delivered again: nothing changes.
    expect(await acts.projectOrderToElasticsearch({ orderId, version: 2 })).toEqual({
      version: 2,
      outcome: 'stale',
    });
    expect(await acts.projectOrderToRedis({ orderId, version: 2 })).toEqual({
      version: 2,
      outcome: 'stale',
    });
    // An older state arriving late: refused by both read models.
    const alias = ordersAlias(config().ES_INDEX_PREFIX);
    const current = await readOrderDocument(app.connections.es, alias, orderId);
    if (!current) throw new Error('order not projected');
    const older = {
      ...current,
      version: 1,
      status: 'placed' as const,
      completedAt: null,
      reportMonth: null,
    };
    expect(await writeOrderDocument(app.connections.es, alias, older)).toBe('stale');
    expect(await writeOrderSummary(app.connections.redis, config().REDIS_KEY_PREFIX, older)).toBe(
      'stale',
    );
    expect((await readOrderDocument(app.connections.es, alias, orderId))?.version).toBe(2);
    expect(
      (await readOrderSummary(app.connections.redis, config().REDIS_KEY_PREFIX, orderId))?.status,
    ).toBe('completed');
  });

  it('reports.monthly equals a report computed from the generated orders, cached and invalidated', async () => {
    const admin = app.client('admin');
    const month = '2024-03';
    const orders = await generateOrders(admin, {
      count: 60,
      month,
      currencies: ['DKK', 'PLN'],
      regions: ['north', 'south'],
      products: 12,
      seed: 42,
    });
    await projected(orders);
    const reader = app.client('reader');
    for (const region of [undefined, 'north']) {
      const report = await reader.reports.monthly.query({ month, currency: 'DKK', region });
      const expected = expectedReport(orders, 'DKK', region);
      expect(report.totals).toEqual(expected.totals);
      expect(report.products).toEqual(expected.products);
      expect(report).toMatchObject({
        month,
        currency: 'DKK',
        region: region ?? null,
        source: 'live',
      });
    }
    const first = await reader.reports.monthly.query({ month, currency: 'DKK' });
    const cached = await reader.reports.monthly.query({ month, currency: 'DKK' });
    expect(cached.generatedAt).toBe(first.generatedAt);

    // A refund changes the month: the cached answer must not survive it.
    const victim = orders.find((o) => o.fate === 'completed' && o.currency === 'DKK');
    if (!victim) throw new Error('no completed DKK order generated');
    const refunded = await admin.orders.refund.mutate({
      orderId: victim.orderId,
      reason: 'late',
      at: victim.completedAt ?? undefined,
    });
    victim.fate = 'refunded';
    victim.version = refunded.version;
    await projected([victim]);
    const after = await waitFor('report without the refunded order', async () => {
      const r = await reader.reports.monthly.query({ month, currency: 'DKK' });
      return r.totals.orderCount === first.totals.orderCount - 1 ? r : undefined;
    });
    expect(after.totals).toEqual(expectedReport(orders, 'DKK').totals);
    expect(after.products).toEqual(expectedReport(orders, 'DKK').products);

    const top = await reader.reports.topProducts.query({
      from: month,
      to: month,
      currency: 'DKK',
      limit: 3,
    });
    expect(top.products.map((p) => p.productId)).toEqual(
      expectedReport(orders, 'DKK')
        .products.slice(0, 3)
        .map((p) => p.productId),
    );
    // Narrowed to a region, as the monthly report is (restated view, as that one's default).
    const north = await reader.reports.topProducts.query({
      from: month,
      to: month,
      currency: 'DKK',
      region: 'north',
      limit: 3,
    });
    expect(north.region).toBe('north');
    const sales = (p: { productId: string; totalSalesMinor: number }) => [
      p.productId,
      p.totalSalesMinor,
    ];
    expect(north.products.map(sales)).toEqual(
      expectedReport(orders, 'DKK', 'north').products.slice(0, 3).map(sales),
    );
  });

  it('search pages through every matching order exactly once', async () => {
    const currency = 'HKD';
    const orders = await generateOrders(app.client('admin'), {
      count: 45,
      month: '2024-05',
      currencies: [currency],
      regions: ['east', 'west'],
      products: 6,
      seed: 7,
    });
    await projected(orders);
    const reader = app.client('reader');
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 20; page++) {
      const res = await reader.orders.search.query({
        currency,
        region: 'east',
        pageSize: 7,
        cursor,
      });
      seen.push(...res.items.map((o) => o.orderId));
      if (!res.nextCursor) break;
      cursor = res.nextCursor;
    }
    const expected = orders.filter((o) => o.region === 'east').map((o) => o.orderId);
    expect(seen).toHaveLength(expected.length);
    expect(new Set(seen)).toEqual(new Set(expected));
    expect(await code(reader.orders.search.query({ currency, cursor: 'not-a-cursor' }))).toBe(
      'BAD_REQUEST',
    );
  });

  it('readers need a token; admin status needs admin', async () => {
    expect(await code(app.client('reader').admin.projections.status.query())).toBe('FORBIDDEN');
    const status = await app.client('admin').admin.projections.status.query();
    expect(status.readModels.map((r) => r.readModel)).toEqual(['elasticsearch', 'redis']);
    const res = await app.fetch(
      `${app.url}/trpc/orders.get?input=${encodeURIComponent(JSON.stringify({ orderId: 'x' }))}`,
    );
    expect(res.status).toBe(401);
  });

  it('every order this file wrote is in Elasticsearch at its latest version', async () => {
    // Its own orders first, in every state, so it checks something when run alone too.
    const writer = app.client('writer');
    const own = await Promise.all(
      (['placed', 'completed', 'cancelled', 'refunded'] as const).map(async (fate) => {
        const { orderId } = await writer.orders.place.mutate(placeInput('MXN'));
        if (fate === 'cancelled') await writer.orders.cancel.mutate({ orderId, reason: 'test' });
        if (fate === 'completed' || fate === 'refunded')
          await writer.orders.complete.mutate({ orderId });
        if (fate === 'refunded') await writer.orders.refund.mutate({ orderId, reason: 'test' });
        return orderId;
      }),
    );
    // The orders of this file's run (its database holds no other file's).
    const { rows } = await app.connections.pool.query<{ stream_id: string; version: number }>(
      `select s.stream_id, s.version from streams s
       where s.stream_id like 'order-%' and exists (
         select 1 from events e where e.stream_id = s.stream_id and e.stream_version = 1 and e.recorded_at >= $1)`,
      [fileStartedAt],
    );
    expect(rows.map((r) => r.stream_id)).toEqual(
      expect.arrayContaining(own.map((id) => `order-${id}`)),
    );
    expect(
      rows
        .filter((r) => own.includes(r.stream_id.slice('order-'.length)))
        .map((r) => r.version)
        .sort(),
    ).toEqual([1, 2, 2, 3]);
    const alias = ordersAlias(config().ES_INDEX_PREFIX);
    await waitFor(
      'read model converged',
      async () => {
        for (const row of rows) {
          const doc = await readOrderDocument(
            app.connections.es,
            alias,
            row.stream_id.slice('order-'.length),
          );
          if (doc?.version !== row.version) return undefined;
        }
        return true;
      },
      90_000,
    );
  });
});
