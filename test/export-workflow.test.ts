import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForPosition } from '../api/read-your-writes';
import { config } from '../config/env';
import { EXPORT_WORKFLOW_TYPE } from '../contracts/exports';
import { MANIFEST_FILE, type PartitionManifest } from '../projections/parquet';
import { reportsFromEventStore } from '../projections/reconcile';
import { taskQueue } from '../temporal/task-queues';
import type { monthlyRollupWorkflow } from '../workflows/reports';
import { startTestApp, type TestApp } from './support/app';
import { completeOrderIn } from './support/completed-orders';
import { duckdbRows, lit } from './support/parquet';
import { waitFor } from './support/wait';

// The lake follows the rollups: a month's rollup starts its export as a workflow of its own
// (visible in the Temporal UI), and so does every re-rollup after a late correction.

const M = '2018-06';
let app: TestApp;
beforeAll(async () => {
  expect(config().REPORT_TIMEZONE).toBe('UTC');
  app = await startTestApp();
});
afterAll(async () => {
  await app?.stop();
});

const published = async (): Promise<PartitionManifest | undefined> => {
  const file = path.join(config().EXPORT_DIR, `monthly_reports/view=restated/month=${M}`);
  try {
    return JSON.parse(await readFile(path.join(file, MANIFEST_FILE), 'utf8')) as PartitionManifest;
  } catch {
    return undefined;
  }
};

/** The restated view as the lake has it, and as reconcile computes it. */
async function lakeAndTruth(): Promise<[string[], string[]]> {
  const rows = await duckdbRows(
    `select currency, region, product_id, order_count, quantity, total_sales_minor
     from read_parquet(${lit(`${config().EXPORT_DIR}/monthly_reports/*/*/*.parquet`)}, hive_partitioning = true)
     where view = 'restated' and month = '${M}'`,
  );
  const lake = rows
    .map(
      (r) =>
        `${r.currency}/${r.region}/${r.product_id} ${r.order_count} ${r.quantity} ${r.total_sales_minor}`,
    )
    .sort();
  const truth: string[] = [];
  for (const [slot, n] of await reportsFromEventStore(app.connections.pool, M, 'UTC')) {
    if (slot.endsWith('/*')) continue;
    for (const p of n.products)
      truth.push(`${slot}/${p.productId} ${p.orderCount} ${p.totalQuantity} ${p.totalSalesMinor}`);
  }
  return [lake, truth.sort()];
}

async function projected(position: number): Promise<void> {
  await waitFor(`the elasticsearch projector past ${position}`, async () =>
    (await waitForPosition(app.connections.pool, 'elasticsearch', position)) ? true : undefined,
  );
}

describe('export workflow', () => {
  it('exports a month after its rollup, and again after the re-rollup a late refund starts', async () => {
    const admin = app.client('admin');
    const kept = await completeOrderIn(admin, M, {
      productId: 'p-1',
      quantity: 2,
      unitPriceMinor: 700,
    });
    const refunded = await completeOrderIn(admin, M, {
      productId: 'p-2',
      quantity: 1,
      unitPriceMinor: 300,
    });
    await projected(Math.max(kept.position, refunded.position));
    await app.connections.temporal.workflow.execute<typeof monthlyRollupWorkflow>(
      'monthlyRollupWorkflow',
      {
        workflowId: `test-export-rollup-${M}-${Date.now()}`,
        taskQueue: taskQueue('commands'),
        args: [{ timeZone: 'UTC', month: M }],
      },
    );
    const first = await waitFor('the month exported after its rollup', published, 30_000, 200);
    let [lake, truth] = await lakeAndTruth();
    expect(lake).toEqual(truth);
    expect(lake.join('\n')).toContain('EUR/eu/p-2 1 1 300');

    // A refund in the next month: the projector asks for a re-rollup, which exports again.
    await admin.orders.refund.mutate({
      orderId: refunded.orderId,
      reason: 'late',
      at: '2018-07-03T10:00:00.000Z',
    });
    const second = await waitFor(
      'the month exported again after its re-rollup',
      async () => {
        const m = await published();
        return m && m.exportId !== first.exportId ? m : undefined;
      },
      60_000,
      200,
    );
    expect(BigInt(second.eventStore.horizon)).toBeGreaterThan(BigInt(first.eventStore.horizon));
    [lake, truth] = await lakeAndTruth();
    expect(lake).toEqual(truth);
    expect(lake.join('\n')).not.toContain('p-2');

    // Both ran as workflows of their own, visible in the UI under their type.
    const runs = await waitFor('the export workflows listed', async () => {
      const ids: string[] = [];
      for await (const wf of app.connections.temporal.workflow.list({
        query: `WorkflowType = '${EXPORT_WORKFLOW_TYPE}' AND TaskQueue = '${taskQueue('commands')}'`,
      }))
        ids.push(wf.workflowId);
      return ids.length >= 2 ? ids : undefined;
    });
    expect(runs.every((id) => id.includes(`export-${M}`))).toBe(true);
  }, 120_000);
});
