import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReportActivities } from '../activities/report-activities';
import { config } from '../config/env';
import { ordersAlias } from '../projections/elasticsearch/names';
import { computeMonthlyReport } from '../projections/elasticsearch/reports';
import { readRollup, reportsIndexName } from '../projections/elasticsearch/rollups';
import { readOrderDocument } from '../projections/elasticsearch/write-orders';
import { reconcileMonth, reportsFromEventStore } from '../projections/reconcile';
import {
  applySchedules,
  MONTHLY_ROLLUP_SCHEDULE,
  RETENTION_SCHEDULE,
  scheduleId,
} from '../temporal/schedules';
import { taskQueue } from '../temporal/task-queues';
import { addMonths, monthIn } from '../workflows/report-months';
import type { monthlyRollupWorkflow } from '../workflows/reports';
import { startTestApp, type TestApp } from './support/app';
import { expectedReport, type GeneratedOrder, generateOrders } from './support/orders';
import { waitFor } from './support/wait';

const run = promisify(execFile);
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

describe('monthly rollups', () => {
  // The schedule rolls up the month before "now"; orders are dated inside it.
  const closedMonth = addMonths(monthIn(new Date(), 'UTC'), -1);
  let orders: GeneratedOrder[] = [];

  it('the schedule, triggered, rolls up the closed month; the API then answers from the rollup', async () => {
    orders = await generateOrders(app.client('admin'), {
      count: 40,
      month: closedMonth,
      currencies: ['RUA'],
      regions: ['r1', 'r2'],
      products: 8,
      seed: 99,
    });
    await projected(orders);
    const live = await app
      .client('reader')
      .reports.monthly.query({ month: closedMonth, currency: 'RUA' });
    expect(live.source).toBe('live');

    const applied = await applySchedules(app.connections.temporal, {
      timeZone: 'UTC',
      retentionMonths: 24,
    });
    expect(applied.join(' ')).toMatch(/monthly-report-rollup: (created|updated)/);
    const handle = app.connections.temporal.schedule.getHandle(scheduleId(MONTHLY_ROLLUP_SCHEDULE));
    const described = await handle.describe();
    expect(described.spec.calendars?.[0]).toMatchObject({
      dayOfMonth: [{ start: 1, end: 1, step: 1 }],
      hour: [{ start: 1, end: 1, step: 1 }],
    });
    await handle.trigger();
    const runId = await waitFor(
      'the scheduled run',
      async () => (await handle.describe()).info.recentActions.at(-1)?.action.workflow.workflowId,
    );
    await app.connections.temporal.workflow.getHandle(runId).result();

    const report = await app
      .client('reader')
      .reports.monthly.query({ month: closedMonth, currency: 'RUA' });
    expect(report.source).toBe('rollup');
    expect({ totals: report.totals, products: report.products }).toEqual(
      expectedReport(orders, 'RUA'),
    );
    const byRegion = await app
      .client('reader')
      .reports.monthly.query({ month: closedMonth, currency: 'RUA', region: 'r2' });
    expect(byRegion.source).toBe('rollup');
    expect({ totals: byRegion.totals, products: byRegion.products }).toEqual(
      expectedReport(orders, 'RUA', 'r2'),
    );
  });

  it('re-running a rollup replaces it, never adds', async () => {
    await rollup(closedMonth);
    await rollup(closedMonth);
    const slot = { month: closedMonth, currency: 'RUA', region: null };
    const rolled = await readRollup(app.connections.es, config().ES_INDEX_PREFIX, slot);
    expect(rolled?.totals).toEqual(expectedReport(orders, 'RUA').totals);
    // Two sets at most (current and the previous one, kept for in-flight readers).
    const count = await app.connections.es.count({
      index: reportsIndexName(config().ES_INDEX_PREFIX),
      query: {
        bool: {
          filter: [
            { term: { kind: 'product' } },
            { term: { period: closedMonth } },
            { term: { region: '*' } },
          ],
        },
      },
    });
    expect(count.count).toBeLessThanOrEqual(2 * (rolled?.products.length ?? 0));
  });

  it('a rollup is read from its manifest; one written before manifests carried rows reads the same', async () => {
    await rollup(closedMonth);
    const es = app.connections.es;
    const prefix = config().ES_INDEX_PREFIX;
    const slot = { month: closedMonth, currency: 'RUA', region: null };
    const expected = expectedReport(orders, 'RUA');
    const fromManifest = await readRollup(es, prefix, slot);
    expect({ totals: fromManifest?.totals, products: fromManifest?.products }).toEqual(expected);

    // The older format: the same manifest without its rows, read through the product docs.
    const index = reportsIndexName(prefix);
    const id = `${closedMonth}|RUA|*`;
    const manifest = await es.get<Record<string, unknown>>({ index, id });
    const { rows, ...older } = manifest._source ?? {};
    expect(rows).toBeDefined();
    await es.index({ index, id, document: older, refresh: 'wait_for' });
    const fromProducts = await readRollup(es, prefix, slot);
    expect({ totals: fromProducts?.totals, products: fromProducts?.products }).toEqual(expected);
  });

  it('a refund after the rollup re-rolls the month automatically', async () => {
    const victim = orders.find((o) => o.fate === 'completed');
    if (!victim) throw new Error('no completed order');
    const before = await app
      .client('reader')
      .reports.monthly.query({ month: closedMonth, currency: 'RUA' });
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
          .reports.monthly.query({ month: closedMonth, currency: 'RUA' });
        return rep.source === 'rollup' && rep.generatedAt !== before.generatedAt ? rep : undefined;
      },
      60_000,
      250,
    );
    expect({ totals: after.totals, products: after.products }).toEqual(
      expectedReport(orders, 'RUA'),
    );
    expect(after.totals.orderCount).toBe(before.totals.orderCount - 1);
  });

  it('reconcile is clean after a clean run, and fails (exit 1) after a read-model document is tampered with', async () => {
    const clean = await reconcileMonth({ ...deps(), timeZone: 'UTC' }, closedMonth);
    expect(clean.differences).toEqual([]);
    expect(clean.checked.rollup).toBeGreaterThan(0);
    expect(clean.checked.live).toBeGreaterThan(0);

    const cli = await run('npx', ['tsx', 'scripts/reconcile.ts', '--month', closedMonth], {
      cwd: root,
      env: { ...process.env, REPORT_TIMEZONE: 'UTC' },
    });
    expect(cli.stdout).toMatch(/no differences/);

    const victim = orders.find((o) => o.fate === 'completed' && o.currency === 'RUA');
    if (!victim) throw new Error('no completed order');
    const alias = ordersAlias(config().ES_INDEX_PREFIX);
    const doc = await readOrderDocument(app.connections.es, alias, victim.orderId);
    if (!doc) throw new Error('missing doc');
    await app.connections.es.index({
      index: alias,
      id: doc.orderId,
      document: { ...doc, totalMinor: doc.totalMinor + 1, version: doc.version + 1000 },
      version: doc.version + 1000,
      version_type: 'external',
      refresh: true,
    });
    const tampered = await reconcileMonth({ ...deps(), timeZone: 'UTC' }, closedMonth);
    expect(tampered.differences.some((d) => d.source === 'live' && d.what === 'totals')).toBe(true);
    const failed = await run('npx', ['tsx', 'scripts/reconcile.ts', '--month', closedMonth], {
      cwd: root,
      env: { ...process.env, REPORT_TIMEZONE: 'UTC' },
    }).then(
      () => 0,
      (err: { code?: number; stdout?: string }) => {
        expect(err.stdout).toMatch(/DIFF .* live totals/);
        return err.code;
      },
    );
    expect(failed).toBe(1);
    // Put the truth back (a rebuild would do the same).
    await app.connections.es.index({
      index: alias,
      id: doc.orderId,
      document: { ...doc, version: doc.version + 1001 },
      version: doc.version + 1001,
      version_type: 'external',
      refresh: true,
    });
  });

  it('an order completed at 2025-10-31T23:30Z is October in UTC and November in Asia/Shanghai', async () => {
    const admin = app.client('admin');
    const { orderId } = await admin.orders.place.mutate({
      customerId: 'c-tz',
      region: 'asia',
      currency: 'TZE',
      items: [{ productId: 'p-tz', quantity: 1, unitPriceMinor: 777 }],
      at: '2025-10-31T20:00:00Z',
    });
    await admin.orders.complete.mutate({ orderId, at: '2025-10-31T23:30:00Z' });
    const utcOct = await reportsFromEventStore(app.connections.pool, '2025-10', 'UTC');
    const shNov = await reportsFromEventStore(app.connections.pool, '2025-11', 'Asia/Shanghai');
    const shOct = await reportsFromEventStore(app.connections.pool, '2025-10', 'Asia/Shanghai');
    expect(utcOct.get('TZE/*')?.totals.totalSalesMinor).toBe(777);
    expect(shNov.get('TZE/*')?.totals.totalSalesMinor).toBe(777);
    expect(shOct.get('TZE/*')).toBeUndefined();
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

  it('retention removes only read-model data older than the limit, never events', async () => {
    const old = await generateOrders(app.client('admin'), {
      count: 4,
      month: '2019-03',
      currencies: ['RET'],
      regions: ['x'],
      products: 3,
      seed: 5,
    });
    const recent = await generateOrders(app.client('admin'), {
      count: 4,
      month: '2024-08',
      currencies: ['RET'],
      regions: ['x'],
      products: 3,
      seed: 6,
    });
    await projected([...old, ...recent]);
    await rollup('2019-03');
    await app.connections.es.indices.refresh({ index: ordersAlias(config().ES_INDEX_PREFIX) });
    const acts = createReportActivities(deps());
    const removed = await acts.applyRetention({ cutoffMonth: '2020-01' });
    // Cancellations carry no back-dated time: an old order cancelled today changed recently.
    const expired = old.filter((o) => o.fate !== 'cancelled');
    const stillRecent = [...recent, ...old.filter((o) => o.fate === 'cancelled')];
    expect(removed.orders).toBeGreaterThanOrEqual(expired.length);
    expect(removed.reportDocs).toBeGreaterThan(0);
    const alias = ordersAlias(config().ES_INDEX_PREFIX);
    for (const o of expired) {
      expect(await readOrderDocument(app.connections.es, alias, o.orderId)).toBeNull();
    }
    for (const o of stillRecent) {
      expect(await readOrderDocument(app.connections.es, alias, o.orderId)).not.toBeNull();
    }
    expect(
      await readRollup(app.connections.es, config().ES_INDEX_PREFIX, {
        month: '2019-03',
        currency: 'RET',
        region: null,
      }),
    ).toBeNull();
    const { rows } = await app.connections.pool.query(
      'select count(*)::int as n from events where stream_id = any($1)',
      [old.map((o) => `order-${o.orderId}`)],
    );
    expect(rows[0].n).toBeGreaterThanOrEqual(old.length);
    const live = await computeMonthlyReport(app.connections.es, alias, {
      month: '2024-08',
      currency: 'RET',
    });
    expect(live.totals).toEqual(expectedReport(recent, 'RET').totals);
  });
});
