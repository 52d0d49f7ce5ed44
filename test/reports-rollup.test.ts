import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config } from '../config/env';
import {
  ordersAlias,
  readOrderDocument,
  readRollup,
  reportsIndexName,
} from '../projections/elasticsearch';
import { reconcileMonth, reportsFromEventStore } from '../projections/reconcile';
import {
  applySchedules,
  MONTHLY_ROLLUP_SCHEDULE,
  RETENTION_SCHEDULE,
  scheduleId,
} from '../temporal/schedules';
import { taskQueue } from '../temporal/task-queues';
import type { monthlyRollupWorkflow } from '../workflows/reports';
import { startTestApp, type TestApp } from './support/app';
import { tamperOrderDocument } from './support/es-test-documents';
import { expectedReport, type GeneratedOrder, generateOrders } from './support/orders';
import { waitFor } from './support/wait';

const run = promisify(execFile);
/** A late correction re-rolls its month after this much quiet, and at most this late (docs/reports.md, "Rollups and late corrections"). */
const RE_ROLLUP_QUIET_MS = 2_000;
const RE_ROLLUP_MAX_DELAY_MS = 30_000;
const root = fileURLToPath(new URL('..', import.meta.url));

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  for (const name of [MONTHLY_ROLLUP_SCHEDULE, RETENTION_SCHEDULE]) {
    await app.connections.temporal.schedule
      .getHandle(scheduleId(name))
      .delete()
      .catch(() => undefined);
  }
  await app?.stop();
});

const deps = () => ({
  ...app.connections,
  esPrefix: config().ES_INDEX_PREFIX,
  redisPrefix: config().REDIS_KEY_PREFIX,
  reportTimeZone: 'UTC',
});

async function projected(orders: GeneratedOrder[]): Promise<void> {
  const alias = ordersAlias(config().ES_INDEX_PREFIX);
  await waitFor(
    'orders projected',
    async () => {
      for (const o of orders) {
        if (
          ((await readOrderDocument(app.connections.es, alias, o.orderId))?.version ?? 0) <
          o.version
        )
          return undefined;
      }
      return true;
    },
    60_000,
    200,
  );
  // Rollups read through searches: make sure the documents are searchable, not just stored.
  await app.connections.es.indices.refresh({ index: ordersAlias(config().ES_INDEX_PREFIX) });
}

async function rollup(month: string) {
  return app.connections.temporal.workflow.execute<typeof monthlyRollupWorkflow>(
    'monthlyRollupWorkflow',
    {
      workflowId: `test-rollup-${month}-${Date.now()}`,
      taskQueue: taskQueue('commands'),
      args: [{ timeZone: 'UTC', month }],
    },
  );
}

/** The schedule's zone in this test: not UTC, so applying it (or not) changes every answer. */
const SCHEDULE_ZONE = 'Asia/Shanghai';
/**
 * A backfill window holding three of the schedule's times (01:00 on the 1st in Shanghai is
 * 17:00 UTC the day before); in UTC its times would be 01:00Z on the 1st instead.
 */
const BACKFILL = {
  start: new Date('2024-06-30T16:30:00Z'),
  end: new Date('2024-08-31T17:30:00Z'),
  times: ['2024-06-30T17:00:00.000Z', '2024-07-31T17:00:00.000Z', '2024-08-31T17:00:00.000Z'],
};

describe('monthly rollups', () => {
  // Pinned by the data, never by the wall clock: the month the first backfilled run (its
  // scheduled time is 2024-07-01 01:00 in Shanghai) rolls up. Closed whenever the tests run.
  const closedMonth = '2024-06';
  // The month's orders, for every test of this block whichever runs (the refund test
  // changes one and records it here).
  let orders: GeneratedOrder[] = [];
  beforeAll(async () => {
    orders = await generateOrders(app.client('admin'), {
      count: 40,
      month: closedMonth,
      currencies: ['NOK'],
      regions: ['r1', 'r2'],
      products: 8,
      seed: 99,
    });
    await projected(orders);
  });
  /** Rolls the month up unless an earlier test already did (tests also run one by one). */
  async function rolledUp(): Promise<void> {
    const slot = { month: closedMonth, currency: 'NOK', region: null };
    if (!(await readRollup(app.connections.es, config().ES_INDEX_PREFIX, slot)))
      await rollup(closedMonth);
  }

  it('the schedule, late, rolls up the month before its scheduled time in its zone, one run at a time; the API then answers from the rollup', async () => {
    const live = await app
      .client('reader')
      .reports.monthly.query({ month: closedMonth, currency: 'NOK' });
    expect(live.source).toBe('live');

    const applied = await applySchedules(app.connections.temporal, {
      timeZone: SCHEDULE_ZONE,
      retentionMonths: 24,
    });
    expect(applied.join(' ')).toMatch(/monthly-report-rollup: (created|updated)/);
    // Only backfills run here: a real due time (or retention deleting this run's data) must
    // not land in the middle of the test. Backfills run on a paused schedule.
    const schedules = app.connections.temporal.schedule;
    await schedules.getHandle(scheduleId(RETENTION_SCHEDULE)).pause('tests run retention directly');
    const handle = schedules.getHandle(scheduleId(MONTHLY_ROLLUP_SCHEDULE));
    await handle.pause('tests drive this schedule with backfills');
    const described = await handle.describe();
    expect(described.spec.timezone).toBe(SCHEDULE_ZONE);
    expect(described.spec.calendars).toEqual([
      expect.objectContaining({
        dayOfMonth: [{ start: 1, end: 1, step: 1 }],
        hour: [{ start: 1, end: 1, step: 1 }],
        minute: [{ start: 0, end: 0, step: 1 }],
      }),
    ]);
    expect(described.policies).toMatchObject({
      overlap: 'BUFFER_ONE',
      catchupWindow: 32 * 24 * 3_600_000,
    });
    expect(described.action).toMatchObject({
      workflowType: 'monthlyRollupWorkflow',
      args: [{ timeZone: SCHEDULE_ZONE, catchUp: { retentionMonths: 24 } }],
    });
    const skippedBefore = described.info.numActionsSkippedOverlap;

    // Three due times at once, long past (as after an outage): the first runs, the second
    // waits for it (BUFFER_ONE), the third finds one already waiting and is dropped.
    await handle.backfill({ start: BACKFILL.start, end: BACKFILL.end });
    const taken = await waitFor('the backfilled runs', async () => {
      const d = await handle.describe();
      const ours = d.info.recentActions.filter(
        (a) => a.scheduledAt >= BACKFILL.start && a.scheduledAt <= BACKFILL.end,
      );
      return ours.length >= 2 && d.info.runningActions.length === 0 ? { d, ours } : undefined;
    });
    expect(taken.ours.map((a) => a.scheduledAt.toISOString())).toEqual(BACKFILL.times.slice(0, 2));
    expect(taken.d.info.numActionsSkippedOverlap - skippedBefore).toBe(1);
    const runs = await Promise.all(
      taken.ours.map(async (a) => {
        const run = app.connections.temporal.workflow.getHandle<typeof monthlyRollupWorkflow>(
          a.action.workflow.workflowId,
          a.action.workflow.firstExecutionRunId,
        );
        return { result: await run.result(), info: await run.describe() };
      }),
    );
    // Each rolls up the month before its scheduled time in Shanghai (not the month before
    // today, not the UTC month), and the second started only once the first had finished.
    expect(runs.map((r) => r.result.month)).toEqual(['2024-06', '2024-07']);
    // Their catch-up looks only at months before their own and within 24 months of today:
    // none, so the months other files wrote (and expect live) are left alone.
    expect(runs.map((r) => r.result.caughtUp)).toEqual([[], []]);
    expect(runs[0]?.result.slots).toBeGreaterThan(0);
    const [first, second] = runs.map((r) => r.info);
    expect(first?.closeTime).toBeDefined();
    expect(second?.startTime.getTime()).toBeGreaterThanOrEqual(
      first?.closeTime?.getTime() ?? Infinity,
    );

    const report = await app
      .client('reader')
      .reports.monthly.query({ month: closedMonth, currency: 'NOK' });
    expect(report.source).toBe('rollup');
    expect({ totals: report.totals, products: report.products }).toEqual(
      expectedReport(orders, 'NOK'),
    );
    const byRegion = await app
      .client('reader')
      .reports.monthly.query({ month: closedMonth, currency: 'NOK', region: 'r2' });
    expect(byRegion.source).toBe('rollup');
    expect({ totals: byRegion.totals, products: byRegion.products }).toEqual(
      expectedReport(orders, 'NOK', 'r2'),
    );
  });

  it('re-running a rollup replaces it, never adds', async () => {
    await rollup(closedMonth);
    await rollup(closedMonth);
    const slot = { month: closedMonth, currency: 'NOK', region: null };
    const rolled = await readRollup(app.connections.es, config().ES_INDEX_PREFIX, slot);
    expect(rolled?.totals).toEqual(expectedReport(orders, 'NOK').totals);
    // Two sets at most per view (current and the previous one, kept for in-flight readers).
    const count = await app.connections.es.count({
      index: reportsIndexName(config().ES_INDEX_PREFIX),
      query: {
        bool: {
          filter: [
            { term: { kind: 'product' } },
            { term: { view: 'restated' } },
            { term: { period: closedMonth } },
            { term: { region: '*' } },
          ],
        },
      },
    });
    expect(count.count).toBeLessThanOrEqual(2 * (rolled?.products.length ?? 0));
  });

  it('a rollup is read from its manifest; one written before manifests carried rows (or a view) reads the same, as restated', async () => {
    await rollup(closedMonth);
    const es = app.connections.es;
    const prefix = config().ES_INDEX_PREFIX;
    const slot = { month: closedMonth, currency: 'NOK', region: null };
    const expected = expectedReport(orders, 'NOK');
    const fromManifest = await readRollup(es, prefix, slot);
    expect({ totals: fromManifest?.totals, products: fromManifest?.products }).toEqual(expected);

    // The older format: the same manifest without its rows, read through the product docs.
    const index = reportsIndexName(prefix);
    const id = `${closedMonth}|NOK|*`;
    const manifest = await es.get<Record<string, unknown>>({ index, id });
    const { rows, view, ...older } = manifest._source ?? {};
    expect(rows).toBeDefined();
    expect(view).toBe('restated');
    await es.index({ index, id, document: older, refresh: 'wait_for' });
    const fromProducts = await readRollup(es, prefix, slot);
    expect({ totals: fromProducts?.totals, products: fromProducts?.products }).toEqual(expected);
    expect(fromProducts?.view).toBe('restated');
  });

  it('a refund after the rollup re-rolls the month automatically, after 2 s of quiet and within 30 s', async () => {
    await rolledUp();
    const victim = orders.find((o) => o.fate === 'completed');
    if (!victim) throw new Error('no completed order');
    const before = await app
      .client('reader')
      .reports.monthly.query({ month: closedMonth, currency: 'NOK' });
    expect(before.source).toBe('rollup');
    const sent = Date.now();
    const r = await app.client('admin').orders.refund.mutate({
      orderId: victim.orderId,
      reason: 'late',
      at: victim.completedAt ?? undefined,
    });
    victim.fate = 'refunded';
    victim.version = r.version;
    const after = await waitFor(
      'the corrected rollup',
      async () => {
        const rep = await app
          .client('reader')
          .reports.monthly.query({ month: closedMonth, currency: 'NOK' });
        return rep.source === 'rollup' && rep.generatedAt !== before.generatedAt ? rep : undefined;
      },
      60_000,
      250,
    );
    expect({ totals: after.totals, products: after.products }).toEqual(
      expectedReport(orders, 'NOK'),
    );
    expect(after.totals.orderCount).toBe(before.totals.orderCount - 1);
    // The correction waited for quiet (docs/reports.md: 2 s, 30 s at most) before rolling up again;
    // the margin is for a loaded machine, far below "never".
    const rolledAfter = Date.parse(after.generatedAt) - sent;
    expect(rolledAfter).toBeGreaterThanOrEqual(RE_ROLLUP_QUIET_MS);
    expect(rolledAfter).toBeLessThan(RE_ROLLUP_MAX_DELAY_MS + 10_000);
  });

  it('reconcile is clean after a clean run, and fails (exit 1) after a read-model document is tampered with', async () => {
    await rolledUp();
    const clean = await reconcileMonth({ ...deps(), timeZone: 'UTC' }, closedMonth);
    expect(clean.differences).toEqual([]);
    expect(clean.checked.rollup).toBeGreaterThan(0);
    expect(clean.checked.live).toBeGreaterThan(0);

    const cli = await run(
      process.execPath,
      ['--import', 'tsx', 'scripts/reconcile.ts', '--month', closedMonth],
      {
        cwd: root,
        env: { ...process.env, REPORT_TIMEZONE: 'UTC' },
      },
    );
    expect(cli.stdout).toMatch(/no differences/);

    const victim = orders.find((o) => o.fate === 'completed' && o.currency === 'NOK');
    if (!victim) throw new Error('no completed order');
    // Completed: version 2.
    const tampering = await tamperOrderDocument(app.connections.es, victim.orderId, 2);
    const tampered = await reconcileMonth({ ...deps(), timeZone: 'UTC' }, closedMonth);
    expect(tampered.differences.some((d) => d.source === 'live' && d.what === 'totals')).toBe(true);
    const failed = await run(
      process.execPath,
      ['--import', 'tsx', 'scripts/reconcile.ts', '--month', closedMonth],
      {
        cwd: root,
        env: { ...process.env, REPORT_TIMEZONE: 'UTC' },
      },
    ).then(
      () => 0,
      (err: { code?: number; stdout?: string }) => {
        expect(err.stdout).toMatch(/DIFF .* live totals/);
        return err.code;
      },
    );
    expect(failed).toBe(1);
    await tampering.restore();
  });

  it('an order completed at 2025-10-31T23:30Z is October in UTC and November in Asia/Shanghai', async () => {
    const admin = app.client('admin');
    const { orderId } = await admin.orders.place.mutate({
      customerId: 'c-tz',
      region: 'asia',
      currency: 'SGD',
      items: [{ productId: 'p-tz', quantity: 1, unitPriceMinor: 777 }],
      at: '2025-10-31T20:00:00Z',
    });
    await admin.orders.complete.mutate({ orderId, at: '2025-10-31T23:30:00Z' });
    const utcOct = await reportsFromEventStore(app.connections.pool, '2025-10', 'UTC');
    const shNov = await reportsFromEventStore(app.connections.pool, '2025-11', 'Asia/Shanghai');
    const shOct = await reportsFromEventStore(app.connections.pool, '2025-10', 'Asia/Shanghai');
    expect(utcOct.get('SGD/*')?.totals.totalSalesMinor).toBe(777n);
    expect(shNov.get('SGD/*')?.totals.totalSalesMinor).toBe(777n);
    expect(shOct.get('SGD/*')).toBeUndefined();
    // The projection uses the configured zone (UTC in tests).
    await waitFor(
      'projected',
      async () =>
        (
          await readOrderDocument(
            app.connections.es,
            ordersAlias(config().ES_INDEX_PREFIX),
            orderId,
          )
        )?.reportMonth ?? undefined,
    );
    expect(
      (await readOrderDocument(app.connections.es, ordersAlias(config().ES_INDEX_PREFIX), orderId))
        ?.reportMonth,
    ).toBe('2025-10');
  });
});
