import {
  condition,
  continueAsNew,
  defineSignal,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ReportActivities, RollupSummary } from '../activities/report-activities';
import type { ReconcileResult } from '../projections/reconcile';
import { startExportAfterRollup } from './exports';
import { projectionsQueue } from './projections-queue';
import { addMonths, monthIn, monthSpan, retentionCutoff } from './report-months';

function activities() {
  return proxyActivities<ReportActivities>({
    taskQueue: projectionsQueue(),
    startToCloseTimeout: '10 minutes',
    // The activities heartbeat: the work of a worker that died is retried elsewhere after
    // this, not after the 10 minutes above.
    heartbeatTimeout: '10 seconds',
    retry: { initialInterval: '2 seconds', maximumInterval: '1 minute' },
  });
}

/** Months the schedule's run rolls up besides its own: closed ones never rolled up. */
export interface CatchUpInput {
  /** READ_MODEL_RETENTION_MONTHS: months older than that are out of scope, never rolled up. */
  retentionMonths: number;
  /** Narrows the months looked at (first and last, inclusive): for tests and operators. */
  from?: string;
  to?: string;
  /** Months rolled up per run before continuing as new (CATCH_UP_MONTHS_PER_RUN). */
  monthsPerRun?: number;
}

export interface MonthlyRollupInput {
  timeZone: string;
  /** Omitted by the schedule: the month before the scheduled time, in `timeZone`. */
  month?: string;
  /**
   * Also roll up each closed month that has completions and no rollup (the schedule sets
   * it). Omitted (`npm run report -- rollup`, schedules applied before it): `month` alone.
   */
  catchUp?: CatchUpInput;
  /** Set when a run continues as new: what the earlier runs of the chain did. */
  done?: { summary: RollupSummary; caughtUp: string[] };
}

export interface MonthlyRollupResult extends RollupSummary {
  /** The months caught up by this run and the runs it continued from (with `catchUp`). */
  caughtUp?: string[];
}

/** Keeps each run small (a rollup is ~6 history events): the rest go to the next run. */
export const CATCH_UP_MONTHS_PER_RUN = 6;

/** When the schedule meant to run: a late (catch-up) run still rolls up the right month. */
function scheduledTime(): Date {
  const attr = workflowInfo().searchAttributes?.TemporalScheduledStartTime;
  const value = Array.isArray(attr) ? attr[0] : undefined;
  return value instanceof Date
    ? value
    : new Date(String(value ?? workflowInfo().startTime.toISOString()));
}

const earlierOf = (a: string, b: string) => (monthSpan(a, b) > 0 ? a : b);
const laterOf = (a: string, b: string) => (monthSpan(a, b) > 0 ? b : a);

/**
 * The months a catch-up looks at, or null for none: within retention, closed, before the
 * run's own month (a late run looks no further than its scheduled time; later months are
 * later runs'), narrowed by `from`/`to`.
 */
function catchUpWindow(
  month: string,
  timeZone: string,
  c: CatchUpInput,
): { from: string; to: string } | null {
  const now = new Date();
  const current = monthIn(now, timeZone);
  let from = retentionCutoff(now, timeZone, c.retentionMonths);
  if (c.from) from = laterOf(from, c.from);
  let to = earlierOf(addMonths(month, -1), addMonths(current, -1));
  if (c.to) to = earlierOf(to, c.to);
  return monthSpan(from, to) > 0 ? { from, to } : null;
}

/**
 * Rolls up one closed month (the schedule's action) and, with `catchUp`, every closed
 * month within retention that has completions and was never rolled up: once, as rolling
 * up marks the month, and a marked month is never picked again.
 */
export async function monthlyRollupWorkflow(
  input: MonthlyRollupInput,
): Promise<MonthlyRollupResult> {
  const month = input.month ?? addMonths(monthIn(scheduledTime(), input.timeZone), -1);
  let exports = 0;
  let summary = input.done?.summary;
  if (!summary) {
    summary = await activities().rollupMonth({ month });
    await startExportAfterRollup(month, exports++);
  }
  // Runs recorded before the catch-up existed ended here.
  if (!input.catchUp || !patched('rollup-catch-up')) return summary;
  const caughtUp = [...(input.done?.caughtUp ?? [])];
  const window = catchUpWindow(month, input.timeZone, input.catchUp);
  if (!window) return { ...summary, caughtUp };
  const limit = input.catchUp.monthsPerRun ?? CATCH_UP_MONTHS_PER_RUN;
  const found = await activities().monthsToCatchUp({ ...window, limit });
  for (const m of found.months) {
    await activities().rollupMonth({ month: m });
    await startExportAfterRollup(m, exports++);
    caughtUp.push(m);
  }
  if (found.more > 0) {
    await continueAsNew<typeof monthlyRollupWorkflow>({
      ...input,
      month,
      done: { summary, caughtUp },
    });
  }
  return { ...summary, caughtUp };
}

export const monthDirtySignal = defineSignal('monthDirty');
export const rerollupWorkflowId = (month: string) => `rollup-correction-${month}`;

/**
 * Quiet time after the last late event before re-rolling; at most MAX_DELAY_MS overall. The
 * input may set others (REROLLUP_QUIET_MS, REROLLUP_MAX_DELAY_MS); runs started without
 * them, before they existed too, use these.
 */
const QUIET_MS = 2_000;
const MAX_DELAY_MS = 30_000;

/** Rollups one run of a month's re-rollup makes before it continues as new. */
export const ROLLUPS_PER_RUN = 10;

export interface RerollupInput {
  month: string;
  /**
   * Rollups before continuing as new, so a steady stream of late corrections never grows
   * one history without end. Part of the input: runs started without it (before it
   * existed) keep running to their end as they did.
   */
  rollupsPerRun?: number;
  /** Quiet time before re-rolling (absent: QUIET_MS). */
  quietMs?: number;
  /** Longest wait for quiet, from the first correction of a rollup (absent: MAX_DELAY_MS). */
  maxDelayMs?: number;
}

/**
 * Re-rolls a month after late completions or refunds (signal-with-start by the
 * projections), debounced: a burst of corrections costs one rollup.
 */
export async function rerollupMonthWorkflow({
  month,
  rollupsPerRun,
  quietMs,
  maxDelayMs,
}: RerollupInput): Promise<RollupSummary | null> {
  let dirty = 0;
  setHandler(monthDirtySignal, () => {
    dirty++;
  });
  let summary: RollupSummary | null = null;
  let handled = 0;
  let rollups = 0;
  while (dirty > handled || summary === null) {
    if (rollupsPerRun !== undefined && rollups >= rollupsPerRun) {
      // Corrections still pending: the next run rolls up at least once.
      await continueAsNew<typeof rerollupMonthWorkflow>({
        month,
        rollupsPerRun,
        ...(quietMs === undefined ? {} : { quietMs }),
        ...(maxDelayMs === undefined ? {} : { maxDelayMs }),
      });
    }
    const firstSeen = Date.now();
    for (;;) {
      const before = dirty;
      const more = await condition(() => dirty > before, quietMs ?? QUIET_MS);
      if (!more || Date.now() - firstSeen > (maxDelayMs ?? MAX_DELAY_MS)) break;
    }
    handled = dirty;
    summary = await activities().rollupMonth({ month });
    // Late refunds and completions reach the lake too.
    await startExportAfterRollup(month, rollups);
    rollups++;
  }
  return summary;
}

/** Deletes read-model data older than `months` months (the schedule's action). */
export async function retentionWorkflow(input: { months: number; timeZone: string }) {
  const cutoffMonth = retentionCutoff(new Date(), input.timeZone, input.months);
  return { cutoffMonth, ...(await activities().applyRetention({ cutoffMonth })) };
}

/** The reconciliation as a workflow (visible in the UI); `npm run reconcile` runs it too. */
export async function reconcileMonthWorkflow({
  month,
}: {
  month: string;
}): Promise<ReconcileResult> {
  return activities().reconcile({ month });
}
