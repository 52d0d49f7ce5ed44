import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config } from '../config/env';
import { monthIn, monthSpan } from '../domain/report-months';
import {
  isMonthRolledUp,
  ordersAlias,
  readOrderDocument,
  readRollup,
} from '../projections/elasticsearch';
import { MONTHLY_ROLLUP_SCHEDULE, scheduleDefinitions, scheduleId } from '../temporal/schedules';
import { prefixedId, taskQueue } from '../temporal/task-queues';
import type { MonthlyRollupInput, monthlyRollupWorkflow } from '../workflows/reports';
import { startTestApp, type TestApp } from './support/app';
import { completeOrderIn } from './support/completed-orders';
import { waitFor } from './support/wait';

// Closed months with completions that were never rolled up (history imported with `at`)
// are rolled up by the schedule's run, once. The read models are shared with the other
// files of a run, whose months must stay live: every run here narrows the catch-up to
// this file's months (from/to).

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.stop();
});

const CURRENCY = 'DKK';
/** Before the retention cutoff the runs below get: never rolled up, whatever it has. */
const BEYOND_RETENTION = '2012-01';
const NEVER_ROLLED = ['2012-02', '2012-04'];
const ROLLED_BEFORE = '2012-03';
/** No completions: nothing to roll up. */
const EMPTY = '2012-05';
/** The month the run rolls up as the schedule's own (the month before its scheduled time). */
const RUN_MONTH = '2012-06';

const root = fileURLToPath(new URL('..', import.meta.url));
const prefix = () => config().ES_INDEX_PREFIX;

/** What `npm run reconcile -- --month <month>` prints (it exits 1 on a difference). */
async function reconcileOutput(month: string): Promise<string> {
  return promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'scripts/reconcile.ts', '--month', month],
    {
      cwd: root,
      env: process.env,
    },
  ).then(
    (r) => r.stdout,
    (err: { stdout?: string }) => err.stdout ?? '',
  );
}
const slot = (month: string) => ({ month, currency: CURRENCY, region: null });
const monthly = (month: string) =>
  app.client('reader').reports.monthly.query({ month, currency: CURRENCY });

async function completedAndProjected(month: string): Promise<void> {
  const order = await completeOrderIn(
    app.client('admin'),
    month,
    { productId: 'p-catch-up', quantity: 2, unitPriceMinor: 1_250 },
    { currency: CURRENCY, region: 'north', customerId: 'c-catch-up' },
  );
  const alias = ordersAlias(prefix());
  await waitFor(`order of ${month} projected`, async () =>
    (await readOrderDocument(app.connections.es, alias, order.orderId))?.status === 'completed'
      ? true
      : undefined,
  );
}

function runRollup(input: MonthlyRollupInput) {
  return app.connections.temporal.workflow.start<typeof monthlyRollupWorkflow>(
    'monthlyRollupWorkflow',
    {
      workflowId: prefixedId(`test-catch-up-${Date.now()}`),
      taskQueue: taskQueue('commands'),
      args: [input],
    },
  );
}

describe('the schedule rolls up closed months never rolled up', () => {
  it('the schedule passes the catch-up, bounded by the read-model retention', () => {
    const rollup = scheduleDefinitions({ timeZone: 'Europe/Oslo', retentionMonths: 24 }).find(
      (d) => d.scheduleId === scheduleId(MONTHLY_ROLLUP_SCHEDULE),
    );
    expect(rollup?.action).toMatchObject({
      workflowType: 'monthlyRollupWorkflow',
      args: [{ timeZone: 'Europe/Oslo', catchUp: { retentionMonths: 24 } }],
    });
  });

  it('each closed month within retention with completions and no rollup is rolled up once; rolled-up, empty and expired months are left alone', async () => {
    for (const month of [BEYOND_RETENTION, ...NEVER_ROLLED, ROLLED_BEFORE, RUN_MONTH])
      await completedAndProjected(month);
    await app.connections.es.indices.refresh({ index: ordersAlias(prefix()) });

    // One month rolled up before (as `npm run report -- rollup` does).
    await app.connections.temporal.workflow.execute<typeof monthlyRollupWorkflow>(
      'monthlyRollupWorkflow',
      {
        workflowId: prefixedId(`test-catch-up-rolled-${Date.now()}`),
        taskQueue: taskQueue('commands'),
        args: [{ timeZone: 'UTC', month: ROLLED_BEFORE }],
      },
    );
    const rolledBefore = await readRollup(app.connections.es, prefix(), slot(ROLLED_BEFORE));
    expect(rolledBefore).not.toBeNull();
    for (const month of NEVER_ROLLED) expect((await monthly(month)).source).toBe('live');

    // Retention that starts at the first never-rolled-up month: the month before it is out.
    const current = monthIn(new Date(), 'UTC');
    const retentionMonths = monthSpan(NEVER_ROLLED[0] ?? '', current) - 1;
    const input: MonthlyRollupInput = {
      timeZone: 'UTC',
      month: RUN_MONTH,
      // One month per run: the second continues as new.
      catchUp: { retentionMonths, from: BEYOND_RETENTION, to: EMPTY, monthsPerRun: 1 },
    };
    const first = await runRollup(input);
    const result = await first.result();
    expect(result.month).toBe(RUN_MONTH);
    expect(result.caughtUp).toEqual(NEVER_ROLLED);
    const firstRun = await app.connections.temporal.workflow
      .getHandle(first.workflowId, first.firstExecutionRunId)
      .describe();
    expect(firstRun.status.name).toBe('CONTINUED_AS_NEW');

    const generatedAt = new Map<string, string | undefined>();
    for (const month of NEVER_ROLLED) {
      expect(await isMonthRolledUp(app.connections.es, prefix(), month)).toBe(true);
      const report = await monthly(month);
      expect(report).toMatchObject({ source: 'rollup', totals: { orderCount: 1 } });
      generatedAt.set(
        month,
        (await readRollup(app.connections.es, prefix(), slot(month)))?.generatedAt,
      );
    }
    expect((await monthly(RUN_MONTH)).source).toBe('rollup');
    expect(await isMonthRolledUp(app.connections.es, prefix(), BEYOND_RETENTION)).toBe(false);
    expect((await monthly(BEYOND_RETENTION)).source).toBe('live');
    expect(await isMonthRolledUp(app.connections.es, prefix(), EMPTY)).toBe(false);
    const rolledAfter = await readRollup(app.connections.es, prefix(), slot(ROLLED_BEFORE));
    expect(rolledAfter?.generatedAt).toBe(rolledBefore?.generatedAt);

    // Reconcile says which month was never rolled up, and who rolls it up.
    expect(await reconcileOutput(BEYOND_RETENTION)).toMatch(
      /note: this month has never been rolled up: .*the monthly schedule rolls it up at its next run once it is closed/,
    );
    expect(await reconcileOutput(NEVER_ROLLED[0] ?? '')).not.toMatch(/never been rolled up/);

    // The next run finds nothing left to catch up: no month is rolled up twice.
    const again = await (await runRollup(input)).result();
    expect(again.caughtUp).toEqual([]);
    for (const month of NEVER_ROLLED) {
      const rollup = await readRollup(app.connections.es, prefix(), slot(month));
      expect(rollup?.generatedAt).toBe(generatedAt.get(month));
    }
    // Six rollups (two views each), two CLI processes: ~60 s alone on a busy machine.
  }, 180_000);
});
