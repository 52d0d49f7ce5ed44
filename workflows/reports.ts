import {
  condition,
  continueAsNew,
  defineSignal,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ReportActivities, RollupSummary } from '../activities/report-activities';
import type { ReconcileResult } from '../projections/reconcile';
import { addMonths, monthIn } from './report-months';

function projectionsQueue(): string {
  return workflowInfo().taskQueue.replace(/commands$/, 'projections');
}

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

export interface MonthlyRollupInput {
  timeZone: string;
  /** Omitted by the schedule: the month before the scheduled time, in `timeZone`. */
  month?: string;
}

/** When the schedule meant to run: a late (catch-up) run still rolls up the right month. */
function scheduledTime(): Date {
  const attr = workflowInfo().searchAttributes?.TemporalScheduledStartTime;
  const value = Array.isArray(attr) ? attr[0] : undefined;
  return value instanceof Date
    ? value
    : new Date(String(value ?? workflowInfo().startTime.toISOString()));
}

/** Rolls up one closed month (the schedule's action). */
export async function monthlyRollupWorkflow(input: MonthlyRollupInput): Promise<RollupSummary> {
  const month = input.month ?? addMonths(monthIn(scheduledTime(), input.timeZone), -1);
  return activities().rollupMonth({ month });
}

export const monthDirtySignal = defineSignal('monthDirty');
export const rerollupWorkflowId = (month: string) => `rollup-correction-${month}`;

/** Quiet time after the last late event before re-rolling; at most MAX_DELAY_MS overall. */
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
}

/**
 * Re-rolls a month after late completions or refunds (signal-with-start by the
 * projections), debounced: a burst of corrections costs one rollup.
 */
export async function rerollupMonthWorkflow({
  month,
  rollupsPerRun,
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
      await continueAsNew<typeof rerollupMonthWorkflow>({ month, rollupsPerRun });
    }
    const firstSeen = Date.now();
    for (;;) {
      const before = dirty;
      const more = await condition(() => dirty > before, QUIET_MS);
      if (!more || Date.now() - firstSeen > MAX_DELAY_MS) break;
    }
    handled = dirty;
    summary = await activities().rollupMonth({ month });
    rollups++;
  }
  return summary;
}

/** Deletes read-model data older than `months` months (the schedule's action). */
export async function retentionWorkflow(input: { months: number; timeZone: string }) {
  const cutoffMonth = addMonths(monthIn(new Date(), input.timeZone), -input.months);
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
