import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// config() is parsed once per process, on first use: the zone (and read models and task
// queues of this file's own, as their names depend on it) is set before anything reads it.
vi.hoisted(() => {
  process.env.REPORT_TIMEZONE = 'Asia/Shanghai';
  process.env.ES_INDEX_PREFIX = `${process.env.ES_INDEX_PREFIX ?? 'test-'}tz-`;
  process.env.REDIS_KEY_PREFIX = `${process.env.REDIS_KEY_PREFIX ?? 'test:'}tz:`;
  process.env.TASK_QUEUE_PREFIX = `${process.env.TASK_QUEUE_PREFIX ?? 'test'}-tz`;
  // This file's projectors read every event of the run, decades back included: the
  // schedule's catch-up of never-rolled-up months must look at the last few months only,
  // not roll up every other file's months (in a full run that took past 180 s).
  process.env.READ_MODEL_RETENTION_MONTHS = '3';
});

import { config } from '../config/env';
import { ordersAlias, readOrderDocument } from '../projections/elasticsearch';
import { invalidateReports } from '../projections/redis';
import { MONTHLY_ROLLUP_SCHEDULE, RETENTION_SCHEDULE, scheduleId } from '../temporal/schedules';
import { prefixedId, taskQueue } from '../temporal/task-queues';
import { addMonths, monthIn } from '../workflows/report-months';
import { startTestApp, type TestApp } from './support/app';
import { waitFor } from './support/wait';

const ZONE = 'Asia/Shanghai';
/** Shanghai has no daylight saving time: local midnight is always 16:00 UTC the day before. */
const monthStart = (month: string) => new Date(`${month}-01T00:00:00+08:00`);
const minutes = (n: number) => n * 60_000;
const root = fileURLToPath(new URL('..', import.meta.url));

let app: TestApp;
beforeAll(async () => {
  expect(config().REPORT_TIMEZONE).toBe(ZONE);
  app = await startTestApp();
});
afterAll(async () => {
  for (const id of [MONTHLY_ROLLUP_SCHEDULE, RETENTION_SCHEDULE]) {
    await app?.connections.temporal.schedule
      .getHandle(scheduleId(id))
      .delete()
      .catch(() => undefined);
  }
  await app?.stop();
});

/** Places and completes an order (as an admin, so both can be dated); returns its id. */
async function completedOrder(currency: string, at: Date): Promise<string> {
  const admin = app.client('admin');
  const { orderId } = await admin.orders.place.mutate({
    customerId: 'c-tz',
    region: 'asia',
    currency,
    items: [{ productId: 'p-tz', quantity: 1, unitPriceMinor: 100 }],
    at: new Date(at.getTime() - minutes(5)).toISOString(),
  });
  await admin.orders.complete.mutate({ orderId, at: at.toISOString() });
  return orderId;
}

/** Waits for the completed order in Elasticsearch, visible to searches (reports, retention). */
async function projected(orderId: string) {
  const alias = ordersAlias(config().ES_INDEX_PREFIX);
  const doc = await waitFor(`order ${orderId} projected`, async () => {
    const found = await readOrderDocument(app.connections.es, alias, orderId);
    return found?.status === 'completed' ? found : undefined;
  });
  await app.connections.es.indices.refresh({ index: alias });
  return doc;
}

/** Hour, minute and day of the month of an instant on the wall clock of the zone. */
function wallClock(instant: Date): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: ZONE,
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(instant);
  const part = (type: string) => parts.find((p) => p.type === type)?.value;
  return `day ${part('day')} ${part('hour')}:${part('minute')}`;
}

let applied: Promise<unknown> | undefined;

/** The schedules, created as an operator does: `npm run schedules -- apply`, from the environment. */
function schedulesApplied(): Promise<unknown> {
  applied ??= promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'scripts/schedules.ts', 'apply'],
    { cwd: root, env: process.env },
  );
  return applied;
}

/** Runs the schedule's action now and returns what its workflow returned. */
async function triggered<T>(name: string): Promise<T> {
  await schedulesApplied();
  const handle = app.connections.temporal.schedule.getHandle(scheduleId(name));
  const before = (await handle.describe()).info.recentActions.length;
  await handle.trigger();
  const action = await waitFor(`${name} triggered`, async () => {
    const actions = (await handle.describe()).info.recentActions;
    return actions.length > before ? actions.at(-1)?.action : undefined;
  });
  return app.connections.temporal.workflow
    .getHandle(action.workflow.workflowId, action.workflow.firstExecutionRunId)
    .result();
}

describe(`REPORT_TIMEZONE=${ZONE}`, () => {
  const current = monthIn(new Date(), ZONE);
  const previous = addMonths(current, -1);

  it('an order counts in the month of its completion on the wall clock of the zone', async () => {
    // 23:30 on the last day of the month before `previous`, and 01:00 on the 1st of
    // `previous` in Shanghai: both on the same UTC day, so in one UTC month.
    const start = monthStart(previous);
    const lateEvening = await completedOrder('RON', new Date(start.getTime() - minutes(30)));
    const earlyMorning = await completedOrder('RON', new Date(start.getTime() + minutes(60)));
    expect(monthIn(new Date(start.getTime() - minutes(30)), 'UTC')).toBe(
      monthIn(new Date(start.getTime() + minutes(60)), 'UTC'),
    );
    expect((await projected(lateEvening)).reportMonth).toBe(addMonths(previous, -1));
    expect((await projected(earlyMorning)).reportMonth).toBe(previous);

    const reader = app.client('reader');
    const before = await reader.reports.monthly.query({
      month: addMonths(previous, -1),
      currency: 'RON',
    });
    const after = await reader.reports.monthly.query({ month: previous, currency: 'RON' });
    expect(before.totals.orderCount).toBe(1);
    expect(after.totals.orderCount).toBe(1);
  });

  it('the schedules are created in the zone: the rollup at 01:00 on the 1st, retention at 02:30', async () => {
    await schedulesApplied();
    const rollup = await app.connections.temporal.schedule
      .getHandle(scheduleId(MONTHLY_ROLLUP_SCHEDULE))
      .describe();
    expect(rollup.spec.timezone).toBe(ZONE);
    expect(rollup.action.type === 'startWorkflow' && rollup.action.args).toEqual([
      { timeZone: ZONE, catchUp: { retentionMonths: config().READ_MODEL_RETENTION_MONTHS } },
    ]);
    expect(rollup.info.nextActionTimes.length).toBeGreaterThan(0);
    for (const next of rollup.info.nextActionTimes) expect(wallClock(next)).toBe('day 01 01:00');

    const retention = await app.connections.temporal.schedule
      .getHandle(scheduleId(RETENTION_SCHEDULE))
      .describe();
    expect(retention.spec.timezone).toBe(ZONE);
    expect(retention.action.type === 'startWorkflow' && retention.action.args).toEqual([
      { months: config().READ_MODEL_RETENTION_MONTHS, timeZone: ZONE },
    ]);
    expect(retention.info.nextActionTimes.length).toBeGreaterThan(0);
    for (const next of retention.info.nextActionTimes)
      expect(wallClock(next).slice(7)).toBe('02:30');
  });

  it('reports.monthly serves the month closed in the zone from its rollup, the current one live', async () => {
    await projected(
      await completedOrder('CZK', new Date(monthStart(previous).getTime() + minutes(90))),
    );
    const now = await completedOrder('CZK', new Date());
    await projected(now);
    // The schedule's own run: it rolls up the month that closed in the zone.
    const summary = await triggered<{ month: string; caughtUp: string[] }>(MONTHLY_ROLLUP_SCHEDULE);
    expect(summary.month).toBe(previous);
    // The catch-up: the month before, which the first test wrote, and nothing past retention.
    expect(summary.caughtUp).toContain(addMonths(previous, -1));
    for (const m of summary.caughtUp) expect(m >= addMonths(current, -3)).toBe(true);

    const reader = app.client('reader');
    const closed = await reader.reports.monthly.query({ month: previous, currency: 'CZK' });
    expect(closed.source).toBe('rollup');
    expect(closed.totals.orderCount).toBe(1);
    // The current month, rolled up too (as `npm run report -- rollup` can), is still open
    // in the zone: once its cached answer is outdated, it is computed live, not read from
    // the rollup.
    await app.connections.temporal.workflow.execute('monthlyRollupWorkflow', {
      workflowId: prefixedId(`rollup-current-${Date.now()}`),
      taskQueue: taskQueue('commands'),
      args: [{ timeZone: ZONE, month: current }],
    });
    await invalidateReports(app.connections.redis, config().REDIS_KEY_PREFIX, current, 'CZK');
    const open = await reader.reports.monthly.query({ month: current, currency: 'CZK' });
    expect(open.source).toBe('live');
    expect(open.totals.orderCount).toBe(1);
    // A CLI process (schedules apply), the schedule's rollup (with its catch-up of the
    // month before, which the first test wrote) and one of the whole current month (every
    // file's orders of this month so far), both report views each: ~35 s alone.
  }, 180_000);

  it('retention cuts off at the start of the cutoff month in the zone', async () => {
    const cutoffMonth = addMonths(current, -config().READ_MODEL_RETENTION_MONTHS);
    const cutoff = monthStart(cutoffMonth);
    // Just before local midnight on the 1st (expired), and just after it (kept): both
    // before midnight UTC, so a UTC cutoff would delete both.
    const expired = await completedOrder('NZD', new Date(cutoff.getTime() - minutes(1)));
    const kept = await completedOrder('NZD', new Date(cutoff.getTime() + minutes(60)));
    await projected(expired);
    await projected(kept);

    const result = await triggered<{ cutoffMonth: string; orders: number }>(RETENTION_SCHEDULE);
    expect(result.cutoffMonth).toBe(cutoffMonth);
    const alias = ordersAlias(config().ES_INDEX_PREFIX);
    expect(await readOrderDocument(app.connections.es, alias, expired)).toBeNull();
    expect(await readOrderDocument(app.connections.es, alias, kept)).not.toBeNull();
  });
});
