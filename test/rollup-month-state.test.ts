import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config } from '../config/env';
import { markMonthRolledUp, ordersAlias, readOrderDocument } from '../projections/elasticsearch';
import { reconcileMonth } from '../projections/reconcile';
import { prefixedId, taskQueue } from '../temporal/task-queues';
import { type monthlyRollupWorkflow, rerollupWorkflowId } from '../workflows/reports';
import { startTestApp, type TestApp } from './support/app';
import { waitFor } from './support/wait';

// The rolled-up state of a month is the month's, not a slot's, and it is set before the
// rollup reads anything: a refund projected while the first rollup computes, or a sale in
// a slot the month did not have, re-rolls the month.

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.stop();
});

const prefix = () => config().ES_INDEX_PREFIX;

async function completedOrder(month: string, currency: string, region: string) {
  const admin = app.client('admin');
  const { orderId } = await admin.orders.place.mutate({
    customerId: 'c-month-state',
    region,
    currency,
    items: [{ productId: 'p-month-state', quantity: 2, unitPriceMinor: 1_500 }],
    at: `${month}-03T10:00:00Z`,
  });
  const done = await admin.orders.complete.mutate({ orderId, at: `${month}-04T10:00:00Z` });
  await waitFor('projected', async () =>
    (await readOrderDocument(app.connections.es, ordersAlias(prefix()), orderId))?.version ===
    done.version
      ? true
      : undefined,
  );
  return orderId;
}

const correctionStarted = (month: string) =>
  waitFor(
    `rollup-correction-${month} started`,
    async () => {
      const handle = app.connections.temporal.workflow.getHandle(
        prefixedId(rerollupWorkflowId(month)),
      );
      return (await handle.describe().catch(() => null)) ? true : undefined;
    },
    30_000,
    250,
  );

const reconcileDeps = () => ({
  ...app.connections,
  esPrefix: prefix(),
  redisPrefix: config().REDIS_KEY_PREFIX,
  timeZone: config().REPORT_TIMEZONE,
});

describe('the rolled-up state of a month', () => {
  it('a refund projected while the first rollup computes (marked, nothing written yet) re-rolls the month', async () => {
    const month = '2013-04';
    const orderId = await completedOrder(month, 'CHF', 'race');
    // What rollupMonth does first; its slots are still being computed.
    await markMonthRolledUp(app.connections.es, prefix(), month, new Date().toISOString());
    await app.client('writer').orders.refund.mutate({ orderId, reason: 'returned' });
    await correctionStarted(month);
  });

  it('a sale in a slot the rolled-up month did not have re-rolls it: the new slot answers from the rollup', async () => {
    const month = '2013-06';
    await completedOrder(month, 'EUR', 'old-slot');
    await app.connections.temporal.workflow.execute<typeof monthlyRollupWorkflow>(
      'monthlyRollupWorkflow',
      {
        workflowId: prefixedId(`rollup-${month}-${Date.now()}`),
        taskQueue: taskQueue('commands'),
        args: [{ timeZone: config().REPORT_TIMEZONE, month }],
      },
    );
    await completedOrder(month, 'GBP', 'new-slot');
    await correctionStarted(month);
    await app.connections.temporal.workflow
      .getHandle(prefixedId(rerollupWorkflowId(month)))
      .result();
    const report = await app.client('reader').reports.monthly.query({ month, currency: 'GBP' });
    expect(report).toMatchObject({ source: 'rollup', totals: { orderCount: 1 } });
    const result = await reconcileMonth(reconcileDeps(), month);
    expect(result.rolledUp).toBe(true);
    expect(result.differences).toEqual([]);
  }, 90_000);

  it('reconcile reports a slot with sales but no rollup in a rolled-up month', async () => {
    const month = '2013-08';
    await completedOrder(month, 'CHF', 'unrolled');
    await markMonthRolledUp(app.connections.es, prefix(), month, new Date().toISOString());
    const result = await reconcileMonth(reconcileDeps(), month);
    expect(result.differences).toContainEqual(
      expect.objectContaining({ slot: 'CHF/unrolled', source: 'rollup', what: 'rollup missing' }),
    );
  });
});
