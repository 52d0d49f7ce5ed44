import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config } from '../config/env';
import { ordersAlias } from '../projections/elasticsearch/names';
import { readOrderDocument } from '../projections/elasticsearch/write-orders';
import { PROJECTION_STATUS } from '../temporal/search-attributes';
import { taskQueue } from '../temporal/task-queues';
import { orderCommandWorkflowId, retryProjectionSignal } from '../workflows/order-command-contract';
import { startTestApp, type TestApp } from './support/app';
import { stack } from './support/stack';
import { waitFor } from './support/wait';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await stack('up', 'elasticsearch');
  await stack('up', 'redis');
  await app?.stop();
});

const placeInput = (customerId: string) => ({
  customerId,
  region: 'eu',
  currency: 'FLT',
  items: [{ productId: 'p-fault', quantity: 1, unitPriceMinor: 999 }],
});

/** Every order's Elasticsearch document reached the version its last command returned. */
async function converged(orders: Map<string, number>, timeoutMs: number): Promise<void> {
  const alias = ordersAlias(config().ES_INDEX_PREFIX);
  await waitFor(
    'elasticsearch converged to the event store',
    async () => {
      for (const [orderId, version] of orders) {
        if ((await readOrderDocument(app.connections.es, alias, orderId))?.version !== version)
          return undefined;
      }
      return true;
    },
    timeoutMs,
    500,
  );
}

describe('read side under faults', () => {
  it('Elasticsearch down: commands succeed, projections retry visibly, then converge exactly', async () => {
    const writer = app.client('writer');
    const orders = new Map<string, number>();
    await stack('down', 'elasticsearch');
    try {
      await expect(app.connections.es.ping()).rejects.toThrow();
      for (let i = 0; i < 6; i++) {
        const { orderId } = await writer.orders.place.mutate(placeInput(`c-es-${i}`));
        const reply =
          i % 2 === 0 ? await writer.orders.complete.mutate({ orderId }) : { version: 1 };
        orders.set(orderId, reply.version);
      }
      // Operators see them: the documented visibility query finds every one of them.
      const query = `TaskQueue = '${taskQueue('commands')}' AND ExecutionStatus = 'Running' AND ProjectionStatus = 'elasticsearch:retrying'`;
      const flagged = await waitFor(
        'projections flagged as retrying',
        async () => {
          const { count } = await app.connections.temporal.workflow.count(query);
          return count >= orders.size + 3 ? count : undefined;
        },
        45_000,
        500,
      );
      expect(flagged).toBeGreaterThanOrEqual(orders.size);
      const status = await app.client('admin').admin.projections.status.query();
      const es = status.readModels.find((r) => r.readModel === 'elasticsearch');
      expect(es?.retrying).toBeGreaterThanOrEqual(orders.size);
      expect(es?.oldestPendingAgeSeconds).toBeGreaterThanOrEqual(5);
    } finally {
      await stack('up', 'elasticsearch');
    }
    await converged(orders, 120_000);
    await waitFor(
      'flags cleared',
      async () => {
        const status = await app.client('admin').admin.projections.status.query();
        return status.readModels.every((r) => r.retrying === 0 && r.failed === 0)
          ? true
          : undefined;
      },
      60_000,
      500,
    );
    const order = await app
      .client('reader')
      .orders.get.query({ orderId: [...orders.keys()][0] ?? '' });
    expect(order.status).toBe('completed');
  }, 300_000);

  it('a projection that cannot succeed is parked as failed, found by operators, and retried on signal', async () => {
    const es = app.connections.es;
    const alias = ordersAlias(config().ES_INDEX_PREFIX);
    const good = Object.keys(await es.indices.getAlias({ name: alias }));
    // A read model whose mapping rejects the order: retrying cannot fix that.
    const broken = `${config().ES_INDEX_PREFIX}broken-${Date.now()}`;
    await es.indices.create({
      index: broken,
      mappings: { properties: { region: { type: 'long' } } },
    });
    await es.indices.updateAliases({
      actions: [
        ...good.map((index) => ({ remove: { index, alias } })),
        { add: { index: broken, alias } },
      ],
    });
    let orderId = '';
    let commandId = '';
    try {
      commandId = crypto.randomUUID();
      ({ orderId } = await app
        .client('writer')
        .orders.place.mutate({ ...placeInput('c-failed'), commandId }));
      const query = `TaskQueue = '${taskQueue('commands')}' AND ExecutionStatus = "Running" AND ProjectionStatus IS NOT NULL`;
      await waitFor('the failed projection listed', async () => {
        for await (const wf of app.connections.temporal.workflow.list({ query })) {
          if (wf.typedSearchAttributes.get(PROJECTION_STATUS)?.includes('elasticsearch:failed')) {
            return wf.workflowId;
          }
        }
        return undefined;
      });
      const status = await app.client('admin').admin.projections.status.query();
      expect(status.readModels.find((r) => r.readModel === 'elasticsearch')?.failed).toBe(1);
    } finally {
      await es.indices.updateAliases({
        actions: [
          { remove: { index: broken, alias } },
          ...good.map((index) => ({ add: { index, alias } })),
        ],
      });
      await es.indices.delete({ index: broken });
    }
    // The cause is fixed: the operator signals a retry, as the README says.
    const handle = app.connections.temporal.workflow.getHandle(orderCommandWorkflowId(commandId));
    await handle.signal(retryProjectionSignal);
    await handle.result();
    await converged(new Map([[orderId, 1]]), 10_000);
  }, 120_000);

  it('Redis down: queries fall back to Elasticsearch', async () => {
    const writer = app.client('writer');
    const { orderId } = await writer.orders.place.mutate(placeInput('c-redis'));
    const done = await writer.orders.complete.mutate({ orderId });
    await converged(new Map([[orderId, done.version]]), 30_000);
    const month = (await app.client('reader').orders.get.query({ orderId })).reportMonth ?? '';
    await stack('down', 'redis');
    try {
      const order = await app
        .client('reader')
        .orders.get.query({ orderId, minVersion: done.version });
      expect(order).toMatchObject({ orderId, version: 2, stale: false });
      const report = await app.client('reader').reports.monthly.query({ month, currency: 'FLT' });
      expect(report.totals.orderCount).toBeGreaterThanOrEqual(1);
      // Commands never touch Redis.
      const another = await writer.orders.place.mutate(placeInput('c-redis-2'));
      expect(another.version).toBe(1);
    } finally {
      await stack('up', 'redis');
    }
  }, 120_000);

  it('a rebuild under concurrent commands ends with every order at its latest version', async () => {
    const writer = app.client('writer');
    const orders = new Map<string, number>();
    let stop = false;
    const load = (async () => {
      for (let i = 0; !stop && i < 400; i++) {
        const { orderId, version } = await writer.orders.place.mutate(placeInput(`c-rb-${i}`));
        orders.set(orderId, version);
        if (i % 3 === 0)
          orders.set(orderId, (await writer.orders.complete.mutate({ orderId })).version);
      }
    })();
    await waitFor('some load', async () => (orders.size >= 10 ? true : undefined));
    const admin = app.client('admin');
    const alias = ordersAlias(config().ES_INDEX_PREFIX);
    const before = Object.keys(await app.connections.es.indices.getAlias({ name: alias }));
    const started = await admin.admin.projections.rebuild.mutate({ readModel: 'elasticsearch' });
    expect(started.alreadyRunning).toBe(false);
    const progress = await waitFor(
      'rebuild done',
      async () => {
        const p = await admin.admin.projections.rebuildProgress.query({
          readModel: 'elasticsearch',
        });
        return p.progress?.phase === 'done' ? p.progress : undefined;
      },
      120_000,
      250,
    );
    stop = true;
    await load;
    expect(progress.eventsRead).toBeGreaterThan(0);
    const after = Object.keys(await app.connections.es.indices.getAlias({ name: alias }));
    expect(after).toEqual([progress.index]);
    expect(after).not.toEqual(before);
    // Generous: a projection that failed during the swap retries with backoff (up to 1 min).
    await converged(orders, 150_000);
    // Every order of the store, not only this test's, is in the rebuilt index at its version.
    const { rows } = await app.connections.pool.query<{ stream_id: string; version: number }>(
      `select stream_id, version from streams where stream_id like 'order-%'`,
    );
    await converged(
      new Map(rows.map((r) => [r.stream_id.slice('order-'.length), r.version])),
      150_000,
    );
  }, 420_000);
});
