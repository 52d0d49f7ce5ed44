import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthReport } from '../api/health';
import { config } from '../config/env';
import {
  parkedProjectionWorkflowId,
  retryProjectionSignal,
} from '../contracts/projection-controls';
import { PROJECTION_STATUS } from '../contracts/search-attributes';
import { ordersAlias, readOrderDocument } from '../projections/elasticsearch';
import { prefixedId, taskQueue } from '../temporal/task-queues';
import { startTestApp, type TestApp, TOKENS } from './support/app';
import { releaseParkedProjections, withBrokenOrdersAlias } from './support/broken-alias';
import { waitFor } from './support/wait';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  if (app) await releaseParkedProjections(app.connections.temporal);
  await app?.stop();
});

const placeInput = (customerId: string, region: string) => ({
  customerId,
  region,
  currency: 'EUR',
  items: [{ productId: 'p-parked', quantity: 1, unitPriceMinor: 999 }],
});

/** The parked workflow is flagged failed again (its retry ended), not retrying. */
async function isFailedAgain(workflowId: string): Promise<boolean> {
  const described = await app.connections.temporal.workflow.getHandle(workflowId).describe();
  return (
    described.typedSearchAttributes.get(PROJECTION_STATUS)?.includes('elasticsearch:failed') ??
    false
  );
}

async function documentVersion(orderId: string): Promise<number | undefined> {
  const alias = ordersAlias(config().ES_INDEX_PREFIX);
  return (await readOrderDocument(app.connections.es, alias, orderId))?.version;
}

describe('an order the read model refuses for good', () => {
  it('is parked as its own workflow, found by operators, the projector goes on, and a retry after the fix projects it', async () => {
    const es = app.connections.es;
    const writer = app.client('writer');
    // Both read models caught up before the alias moves: nothing else is in flight.
    const warmup = await writer.orders.place.mutate(placeInput('c-warmup', 'eu'));
    await waitFor('warm-up projected', async () =>
      (await documentVersion(warmup.orderId)) === 1 ? true : undefined,
    );
    // A read model whose mapping refuses a text region: retrying cannot fix that. A numeric
    // region still fits, so the batch's other orders must still be written.
    const refused = await withBrokenOrdersAlias(es, config().ES_INDEX_PREFIX, async () => {
      const [a, b] = await Promise.all([
        writer.orders.place.mutate(placeInput('c-refused', 'eu')),
        writer.orders.place.mutate(placeInput('c-fits', '42')),
      ]);
      // The projector went on: the order that fits is there.
      await waitFor('the fitting order projected', async () =>
        (await documentVersion(b.orderId)) === 1 ? true : undefined,
      );
      // Operators find the refused one with the runbook's query, as its own workflow.
      const query = `ExecutionStatus = "Running" AND ProjectionStatus IS NOT NULL AND TaskQueue = '${taskQueue('projections')}'`;
      const parkedId = prefixedId(parkedProjectionWorkflowId('elasticsearch', a.orderId));
      const found = await waitFor('the parked order listed', async () => {
        for await (const wf of app.connections.temporal.workflow.list({ query })) {
          if (
            wf.workflowId === parkedId &&
            wf.typedSearchAttributes.get(PROJECTION_STATUS)?.includes('elasticsearch:failed')
          ) {
            return wf.workflowId;
          }
        }
        return undefined;
      });
      expect(found).toBe(parkedId);
      const status = await app.client('admin').admin.projections.status.query();
      const esStatus = status.readModels.find((r) => r.readModel === 'elasticsearch');
      expect(esStatus).toMatchObject({ failed: 1, retrying: 0 });
      // /healthz is unhealthy while an order is parked, and tells an admin which read model.
      const health = await waitFor('/healthz to see the parked order', async () => {
        const res = await fetch(`${app.url}/healthz`, {
          headers: { authorization: `Bearer ${TOKENS.admin}` },
        });
        return res.status === 503 ? ((await res.json()) as HealthReport) : undefined;
      });
      expect(health.projections?.problems).toEqual([
        'elasticsearch has 1 parked order(s): ProjectionStatus = "elasticsearch:failed"',
      ]);
      expect(await documentVersion(a.orderId)).toBeUndefined();
      // An operator retries before the cause is fixed: the refusal it meets again stays the
      // diagnosis, never the activity wrapper's "Activity task failed".
      const admin = app.client('admin');
      const parkedOf = async () =>
        (await admin.admin.parked.list.query()).parked.find((p) => p.orderId === a.orderId);
      const refusal = (await parkedOf())?.lastError ?? '';
      const esErrorType = /\w+_exception/.exec(refusal)?.[0];
      expect(esErrorType).toBeDefined();
      await admin.admin.parked.retry.mutate({ readModel: 'elasticsearch', orderId: a.orderId });
      const again = await waitFor('the early retry to fail again', async () => {
        const p = await parkedOf();
        return p && p.retries === 1 && (await isFailedAgain(parkedId)) ? p : undefined;
      });
      expect(again.lastError).toContain(esErrorType);
      expect(again.lastError).not.toContain('Activity task failed');
      return a.orderId;
    });
    // The cause is fixed: the operator signals a retry, as the runbook says.
    const handle = app.connections.temporal.workflow.getHandle(
      prefixedId(parkedProjectionWorkflowId('elasticsearch', refused)),
    );
    await handle.signal(retryProjectionSignal);
    expect(await handle.result()).toBe('projected');
    expect(await documentVersion(refused)).toBe(1);
    const after = await app.client('admin').admin.projections.status.query();
    expect(after.readModels.find((r) => r.readModel === 'elasticsearch')?.failed).toBe(0);
    await waitFor('/healthz healthy again', async () =>
      (await fetch(`${app.url}/healthz`)).status === 200 ? true : undefined,
    );
  }, 120_000);
});
