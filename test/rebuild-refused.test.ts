import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateOrders, orderAppends } from '../bench/load-orders';
import { config } from '../config/env';
import {
  parkedProjectionQuery,
  parkedProjectionWorkflowId,
  rebuildWorkflowId,
  skipProjectionSignal,
} from '../contracts/projection-controls';
import { PROJECTION_STATUS } from '../contracts/search-attributes';
import { EventStore } from '../eventstore';
import { currentOrdersIndex, ordersAlias, readOrderDocument } from '../projections/elasticsearch';
import { prefixedId } from '../temporal/task-queues';
import { startTestApp, type TestApp } from './support/app';
import { waitFor } from './support/wait';

let app: TestApp;
let refusedOrderId: string | undefined;

beforeAll(async () => {
  app = await startTestApp(['commands', 'projections']);
});
afterAll(async () => {
  if (app && refusedOrderId) await forget(refusedOrderId);
  await app?.stop();
});

const parkedHandle = (orderId: string) =>
  app.connections.temporal.workflow.getHandle(
    prefixedId(parkedProjectionWorkflowId('elasticsearch', orderId)),
  );

/**
 * Takes the refused order out of the run: its parked workflow skipped, its events gone from
 * the store, so later files' rebuilds and health checks never meet it.
 */
async function forget(orderId: string): Promise<void> {
  const parked = parkedHandle(orderId);
  const running = await parked.describe().then(
    (d) => d.status.name === 'RUNNING',
    () => false,
  );
  if (running) {
    await parked.signal(skipProjectionSignal);
    await parked.result();
  }
  const streamId = `order-${orderId}`;
  const { pool } = app.connections;
  await pool.query('delete from commands where stream_id = $1', [streamId]);
  await pool.query('delete from events where stream_id = $1', [streamId]);
  await pool.query('delete from streams where stream_id = $1', [streamId]);
}

/** Running and flagged `elasticsearch:failed`, with the read model's refusal. */
async function parkedNow(orderId: string): Promise<{ lastError: string } | undefined> {
  const handle = parkedHandle(orderId);
  const d = await handle.describe();
  if (d.status.name !== 'RUNNING') return undefined;
  if (!d.typedSearchAttributes.get(PROJECTION_STATUS)?.includes('elasticsearch:failed'))
    return undefined;
  return handle.query(parkedProjectionQuery);
}

describe('an order Elasticsearch refuses for good, met by a rebuild', () => {
  it('is parked by the rebuild as by the projector: skip, then rebuild, swaps the rebuilt index in', async () => {
    const { es, temporal } = app.connections;
    const prefix = config().ES_INDEX_PREFIX;
    const admin = app.client('admin');
    // A document no orders index takes (a keyword over Lucene's 32,766-byte term limit: 400),
    // as events appended before the API validated ids would make. Straight to the store.
    const [order] = generateOrders(1, Date.now() % 1_000_000_007);
    if (!order) throw new Error('no order generated');
    const orderId = `${order.orderId}-refused`;
    const appends = orderAppends({ ...order, orderId });
    const placed = appends[0].events[0]?.data as { customerId: string };
    placed.customerId = 'c'.repeat(40_000);
    refusedOrderId = orderId;
    await new EventStore(app.connections.pool).appendBatch(appends);
    // An order that fits, written after it: the rebuild must still bring it.
    const fits = await app.client('writer').orders.place.mutate({
      customerId: 'c-fits-after-refused',
      region: 'eu',
      currency: 'EUR',
      items: [{ productId: 'p-refused', quantity: 1, unitPriceMinor: 100 }],
    });

    // The live projector parks it; the operator skips it.
    const live = await waitFor('the projector parked the order', () => parkedNow(orderId));
    expect(live.lastError).toMatch(/immense term|document_parsing_exception/);
    await admin.admin.parked.skip.mutate({ readModel: 'elasticsearch', orderId });
    expect(await parkedHandle(orderId).result()).toBe('skipped');

    // Then rebuilds: the rebuild meets the same document.
    const before = await currentOrdersIndex(es, prefix);
    await admin.admin.projections.rebuild.mutate({ readModel: 'elasticsearch' });
    const rebuild = temporal.workflow.getHandle(prefixedId(rebuildWorkflowId('elasticsearch')));
    const ended = await waitFor(
      'the rebuild to end',
      async () => {
        const p = await admin.admin.projections.rebuildProgress.query({
          readModel: 'elasticsearch',
        });
        if (p.status !== 'RUNNING') return p;
        // Still running: the failure its pending activity retries, for the timeout's message.
        const pending = (await rebuild.describe()).raw.pendingActivities ?? [];
        const failing = pending.find((a) => (a.attempt ?? 1) > 1);
        if (failing)
          throw new Error(
            `${failing.activityType?.name} attempt ${failing.attempt}: ${failing.lastFailure?.message}`,
          );
        return undefined;
      },
      60_000,
      250,
    );
    expect(ended.status).toBe('COMPLETED');
    expect(ended.progress?.phase).toBe('done');
    expect(ended.progress?.parked).toBe(1);
    const rebuilt = await currentOrdersIndex(es, prefix);
    expect(rebuilt).toBe(ended.progress?.index);
    expect(rebuilt).not.toBe(before);
    const alias = ordersAlias(prefix);
    expect((await readOrderDocument(es, alias, fits.orderId))?.version).toBe(1);
    expect(await readOrderDocument(es, alias, orderId)).toBeNull();

    // The rebuilt index lacks it too, so it is parked again, with the refusal, for the
    // operator to retry once fixed or skip.
    const again = await waitFor('the rebuild parked the order', () => parkedNow(orderId));
    expect(again.lastError).toMatch(/immense term|document_parsing_exception/);
  }, 180_000);
});
