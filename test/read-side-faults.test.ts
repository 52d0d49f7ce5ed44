import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config } from '../config/env';
import { ordersAlias } from '../projections/elasticsearch/names';
import { readOrderDocument } from '../projections/elasticsearch/write-orders';
import { PROJECTION_STATUS } from '../temporal/search-attributes';
import { taskQueue } from '../temporal/task-queues';
import { orderCommandWorkflowId, retryProjectionSignal } from '../workflows/order-command-contract';
import { startTestApp, type TestApp } from './support/app';
import { waitFor } from './support/wait';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
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
});
