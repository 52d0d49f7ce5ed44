import {
  ParentClosePolicy,
  patched,
  proxyActivities,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { ExportActivities, ExportMonthSummary } from '../activities/export-activities';
import { EXPORT_WORKFLOW_TYPE, type ExportMonthInput } from '../contracts/exports';
import { projectionsQueue } from './projections-queue';

function activities() {
  return proxyActivities<ExportActivities>({
    taskQueue: projectionsQueue(),
    // A month of any size: the heartbeat, not this, notices a dead worker.
    startToCloseTimeout: '6 hours',
    // It heartbeats every second and after every page; the retry resumes from the last one.
    heartbeatTimeout: '30 seconds',
    retry: {
      initialInterval: '5 seconds',
      maximumInterval: '5 minutes',
      // A number beyond INT64 stays beyond it: retrying cannot help.
      nonRetryableErrorTypes: ['ExportRefused'],
    },
  });
}

/** Exports one month of the event store to the lake as Parquet (docs/exports.md). */
export async function exportMonthWorkflow({
  month,
}: ExportMonthInput): Promise<ExportMonthSummary> {
  return activities().exportMonth({ month });
}

/**
 * Starts the month's export beside the rollup that just ended, and leaves it running: the
 * rollup does not wait for the lake, and a failing export retries on its own. Its id names
 * the month, the rollup's run id and how many exports that run started, so no two ever
 * collide (and a replay, which renames the workflow, starts the same one); of two
 * exports of a month running at once, the one from the later cut of the events wins.
 */
export async function startExportAfterRollup(month: string, nth: number): Promise<void> {
  // Rollup runs recorded before exports existed started none.
  if (!patched('export-after-rollup')) return;
  await startChild(EXPORT_WORKFLOW_TYPE, {
    workflowId: `export-${month}-after-${workflowInfo().runId}-${nth}`,
    args: [{ month } satisfies ExportMonthInput],
    parentClosePolicy: ParentClosePolicy.ABANDON,
  });
}
