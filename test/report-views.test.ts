import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForPosition } from '../api/read-your-writes';
import { config } from '../config/env';
import type { ReportView } from '../projections/elasticsearch';
import { computeMonthlyReport, ordersAlias, readOrderDocument } from '../projections/elasticsearch';
import { reconcileMonth } from '../projections/reconcile';
import { taskQueue } from '../temporal/task-queues';
import type { monthlyRollupWorkflow } from '../workflows/reports';
import { startTestApp, type TestApp } from './support/app';
import { type CompletedOrder, completeOrderIn } from './support/completed-orders';
import { waitFor } from './support/wait';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

// Closed months of their own, and a currency no other test uses (ISK: no minor digits).
const A = '2023-04';
const B = '2023-05';
const CURRENCY = 'ISK';
const REGION = 'bk';

let app: TestApp;
beforeAll(async () => {
  expect(config().REPORT_TIMEZONE).toBe('UTC');
  app = await startTestApp();
});
afterAll(async () => {
  await app?.stop();
});

const alias = () => ordersAlias(config().ES_INDEX_PREFIX);
const reconcileDeps = () => ({
  ...app.connections,
  esPrefix: config().ES_INDEX_PREFIX,
  redisPrefix: config().REDIS_KEY_PREFIX,
  timeZone: 'UTC',
});

async function rollup(month: string) {
  return app.connections.temporal.workflow.execute<typeof monthlyRollupWorkflow>(
    'monthlyRollupWorkflow',
    {
      workflowId: `test-views-rollup-${month}-${Date.now()}`,
      taskQueue: taskQueue('commands'),
      args: [{ timeZone: 'UTC', month }],
    },
  );
}

async function projected(orderId: string, status: string): Promise<void> {
  await waitFor(`order ${orderId} projected as ${status}`, async () => {
    const doc = await readOrderDocument(app.connections.es, alias(), orderId);
    return doc?.status === status ? true : undefined;
  });
  await app.connections.es.indices.refresh({ index: alias() });
}

/**
 * Both projectors past `position`: the Redis one invalidates the month's cached reports
 * when it projects a change, so a report cached before it did would be dropped later.
 */
async function projectedEverywhere(position: number): Promise<void> {
  for (const readModel of ['elasticsearch', 'redis'] as const) {
    await waitFor(`the ${readModel} projector past ${position}`, async () =>
      (await waitForPosition(app.connections.pool, readModel, position)) ? true : undefined,
    );
  }
  await app.connections.es.indices.refresh({ index: alias() });
}

const report = (month: string, view?: ReportView) =>
  app.client('reader').reports.monthly.query({
    month,
    currency: CURRENCY,
    ...(view ? { view } : {}),
  });

const live = (month: string, view: ReportView) =>
  computeMonthlyReport(app.connections.es, alias(), { month, currency: CURRENCY, view });

// The tests run in order: the later ones read the months the first one rolled up and refunded in.
describe('report views: restated and booked', () => {
  let refundedLater: CompletedOrder;

  beforeAll(async () => {
    const admin = app.client('admin');
    const opts = { currency: CURRENCY, region: REGION };
    // Completed in A, refunded in B (below); another sale in A and one in B stay.
    refundedLater = await completeOrderIn(
      admin,
      A,
      { productId: 'p-view-1', quantity: 2, unitPriceMinor: 500 },
      { ...opts, day: 10 },
    );
    const keptA = await completeOrderIn(
      admin,
      A,
      { productId: 'p-view-2', quantity: 1, unitPriceMinor: 300 },
      { ...opts, day: 12 },
    );
    const keptB = await completeOrderIn(
      admin,
      B,
      { productId: 'p-view-3', quantity: 1, unitPriceMinor: 700 },
      { ...opts, day: 3 },
    );
    for (const o of [refundedLater, keptA, keptB]) await projected(o.orderId, 'completed');
  });

  it('a refund in a later month leaves the booked completion month unchanged (rollup and live), restates the restated one, and books a negative line in its own month; reconcile is clean for both views', async () => {
    // Before the refund both views agree.
    for (const view of ['restated', 'booked'] as const) {
      const before = await live(A, view);
      expect(before.view).toBe(view);
      expect(before.totals).toEqual({ orderCount: 2, totalQuantity: 3, totalSalesMinor: 1300 });
    }
    // The default is restated.
    expect((await report(A)).view).toBe('restated');

    await rollup(A);
    await rollup(B);
    const bookedA = await report(A, 'booked');
    expect(bookedA.source).toBe('rollup');
    expect(bookedA.view).toBe('booked');
    expect(bookedA.totals).toEqual({ orderCount: 2, totalQuantity: 3, totalSalesMinor: 1300 });

    await app.client('admin').orders.refund.mutate({
      orderId: refundedLater.orderId,
      reason: 'returned in May',
      at: `${B}-20T09:00:00.000Z`,
    });
    await projected(refundedLater.orderId, 'refunded');
    const doc = await readOrderDocument(app.connections.es, alias(), refundedLater.orderId);
    expect(doc).toMatchObject({ reportMonth: A, refundMonth: B });

    // Live: restated A lost the order, booked A kept it; booked B has its negative line.
    expect((await live(A, 'restated')).totals).toEqual({
      orderCount: 1,
      totalQuantity: 1,
      totalSalesMinor: 300,
    });
    expect((await live(A, 'booked')).totals).toEqual({
      orderCount: 2,
      totalQuantity: 3,
      totalSalesMinor: 1300,
    });
    const liveBookedB = await live(B, 'booked');
    expect(liveBookedB.totals).toEqual({ orderCount: 0, totalQuantity: -1, totalSalesMinor: -300 });
    expect(liveBookedB.products).toEqual([
      {
        productId: 'p-view-3',
        orderCount: 1,
        totalQuantity: 1,
        totalSalesMinor: 700,
        avgUnitPriceMinor: 700,
      },
      {
        productId: 'p-view-1',
        orderCount: -1,
        totalQuantity: -2,
        totalSalesMinor: -1000,
        avgUnitPriceMinor: 500,
      },
    ]);
    expect((await live(B, 'restated')).totals).toEqual({
      orderCount: 1,
      totalQuantity: 1,
      totalSalesMinor: 700,
    });

    // The refund re-rolls both months (late correction): the rollups follow, per view.
    await waitFor(
      'restated A re-rolled without the refunded order',
      async () => {
        const r = await report(A, 'restated');
        return r.source === 'rollup' && r.totals.totalSalesMinor === 300 ? r : undefined;
      },
      45_000,
      250,
    );
    await waitFor(
      'booked B re-rolled with the refund',
      async () => {
        const r = await report(B, 'booked');
        return r.source === 'rollup' && r.totals.totalSalesMinor === -300 ? r : undefined;
      },
      45_000,
      250,
    );
    const bookedAAfter = await report(A, 'booked');
    expect(bookedAAfter.source).toBe('rollup');
    expect(bookedAAfter.totals).toEqual(bookedA.totals);
    expect(bookedAAfter.products).toEqual(bookedA.products);
    expect((await report(B, 'restated')).totals.totalSalesMinor).toBe(700);

    for (const month of [A, B]) {
      const result = await reconcileMonth(reconcileDeps(), month);
      expect(result.differences).toEqual([]);
      expect(result.rolledUp).toBe(true);
      // Each slot (all regions, and region bk) in both views, live and rollup.
      expect(result.checked.live).toBe(2 * result.slots);
      expect(result.checked.rollup).toBe(2 * result.slots);
    }
  });

  it('reconcile finds a booked rollup that disagrees with the event store', async () => {
    // Tamper with the booked rollup of B through a rollup written from other numbers.
    const { writeRollup, rollupBasis } = await import('../projections/elasticsearch/rollups');
    const slot = { month: B, currency: CURRENCY, region: null, view: 'booked' as const };
    const numbers = await live(B, 'booked');
    await writeRollup(
      app.connections.es,
      config().ES_INDEX_PREFIX,
      { ...numbers, totals: { ...numbers.totals, totalSalesMinor: 0 } },
      await rollupBasis(app.connections.es, config().ES_INDEX_PREFIX, slot),
      new Date().toISOString(),
    );
    const result = await reconcileMonth(reconcileDeps(), B);
    expect(result.differences).toEqual([
      expect.objectContaining({ slot: `${CURRENCY}/*`, view: 'booked', source: 'rollup' }),
    ]);
    // Rolling up again repairs it.
    await rollup(B);
    expect((await reconcileMonth(reconcileDeps(), B)).differences).toEqual([]);
  });

  it('an order completed and refunded in the same month nets to a zero line in booked, nothing in restated; reconcile agrees', async () => {
    const C = '2023-06';
    const admin = app.client('admin');
    const o = await completeOrderIn(
      admin,
      C,
      { productId: 'p-view-4', quantity: 3, unitPriceMinor: 100 },
      { currency: CURRENCY, region: REGION, day: 2 },
    );
    const refund = await admin.orders.refund.mutate({
      orderId: o.orderId,
      reason: 'same month',
      at: `${C}-25T10:00:00.000Z`,
    });
    // Both read models: the reports cached below must not be invalidated after the fact.
    await projectedEverywhere(refund.position);
    expect((await report(C, 'restated')).products).toEqual([]);
    const booked = await report(C, 'booked');
    expect(booked.totals).toEqual({ orderCount: 0, totalQuantity: 0, totalSalesMinor: 0 });
    expect(booked.products).toEqual([
      {
        productId: 'p-view-4',
        orderCount: 0,
        totalQuantity: 0,
        totalSalesMinor: 0,
        avgUnitPriceMinor: 0,
      },
    ]);
    const result = await reconcileMonth(reconcileDeps(), C);
    expect(result.differences).toEqual([]);
    expect(result.checked.cache).toBeGreaterThanOrEqual(2);
  });

  it('reports.monthlySeries answers the booked view month by month', async () => {
    const series = await app.client('reader').reports.monthlySeries.query({
      from: A,
      to: B,
      currency: CURRENCY,
      view: 'booked',
    });
    expect(series.view).toBe('booked');
    expect(series.months.map((m) => [m.month, m.totals.totalSalesMinor])).toEqual([
      [A, 1300],
      [B, -300],
    ]);
    const restated = await app.client('reader').reports.monthlySeries.query({
      from: A,
      to: B,
      currency: CURRENCY,
    });
    expect(restated.months.map((m) => m.totals.totalSalesMinor)).toEqual([300, 700]);
  });

  it('reports.topProducts answers the booked view over a range: completions in it minus refunds in it, ranked exactly', async () => {
    const top = (from: string, to: string, view?: ReportView, limit?: number) =>
      app.client('reader').reports.topProducts.query({
        from,
        to,
        currency: CURRENCY,
        region: REGION,
        ...(view ? { view } : {}),
        ...(limit ? { limit } : {}),
      });
    const line = (productId: string, orderCount: number, totalQuantity: number, sales: number) => ({
      productId,
      orderCount,
      totalQuantity,
      totalSalesMinor: sales,
    });
    // A: p-view-1 (refunded in B) still counts where it was completed.
    const bookedA = await top(A, A, 'booked');
    expect(bookedA.view).toBe('booked');
    expect(bookedA.products).toEqual([line('p-view-1', 1, 2, 1000), line('p-view-2', 1, 1, 300)]);
    // B alone books the refund as a negative line, ranked last; the limit keeps the best.
    expect((await top(B, B, 'booked')).products).toEqual([
      line('p-view-3', 1, 1, 700),
      line('p-view-1', -1, -2, -1000),
    ]);
    expect((await top(B, B, 'booked', 1)).products).toEqual([line('p-view-3', 1, 1, 700)]);
    // Over both months the sale and its refund net to zero.
    expect((await top(A, B, 'booked')).products).toEqual([
      line('p-view-3', 1, 1, 700),
      line('p-view-2', 1, 1, 300),
      line('p-view-1', 0, 0, 0),
    ]);
    const restated = await top(A, B);
    expect(restated.view).toBe('restated');
    expect(restated.products).toEqual([line('p-view-3', 1, 1, 700), line('p-view-2', 1, 1, 300)]);
  });

  it('the API refuses an unknown view; the CLI prints the booked view', async () => {
    await expect(
      app.client('reader').reports.monthly.query({
        month: B,
        currency: CURRENCY,
        view: 'cash' as ReportView,
      }),
    ).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' } });

    const cli = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        'scripts/report.ts',
        'show',
        B,
        '--currency',
        CURRENCY,
        '--view',
        'booked',
      ],
      { cwd: root, env: { ...process.env, REPORT_TIMEZONE: 'UTC' } },
    );
    expect(cli.stdout).toContain(`Monthly report ${B} ${CURRENCY} all regions, booked view`);
    expect(cli.stdout).toMatch(/p-view-1\s+-1\s+-2\s+-1000\s+500\n/);
    expect(cli.stdout).toMatch(/TOTAL\s+0\s+-1\s+-300\s/);

    const bad = await run(
      process.execPath,
      ['--import', 'tsx', 'scripts/report.ts', 'show', B, '--currency', CURRENCY, '--view', 'cash'],
      {
        cwd: root,
        env: process.env,
      },
    ).catch((err: { code: number; stderr: string }) => err);
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toMatch(/--view must be one of restated, booked/);
  });
});
