import { type Client, isGrpcServiceError, ServiceError } from '@temporalio/client';
import { config } from '../config/env';
import {
  monthDirtySignal,
  ROLLUPS_PER_RUN,
  type rerollupMonthWorkflow,
  rerollupWorkflowId,
} from '../workflows/reports';
import { prefixedId, taskQueue } from './task-queues';

const RESOURCE_EXHAUSTED = 8;
/** How long a signal waits for a run that is ending to be gone (it takes milliseconds). */
const CLOSING_RETRY_MS = 50;
const CLOSING_DEADLINE_MS = 10_000;

/**
 * The server refuses a signal while the run is closing (ending, or continuing as new) with
 * RESOURCE_EXHAUSTED; a moment later signal-with-start finds the next run or starts one. The
 * client does not retry RESOURCE_EXHAUSTED itself (temporal/client.ts: the command path
 * resends within its own deadline), so this call does.
 */
function runIsClosing(err: unknown): boolean {
  const cause = err instanceof ServiceError ? err.cause : err;
  return (
    isGrpcServiceError(cause) &&
    cause.code === RESOURCE_EXHAUSTED &&
    /workflow is closing/.test(cause.details ?? cause.message)
  );
}

/** Marks a rolled-up month as changed: starts its debounced re-rollup, or adds to the running one. */
export async function requestRerollup(client: Client, month: string): Promise<void> {
  const deadline = Date.now() + CLOSING_DEADLINE_MS;
  for (;;) {
    try {
      return await signalRerollup(client, month);
    } catch (err) {
      if (!runIsClosing(err) || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, CLOSING_RETRY_MS));
    }
  }
}

async function signalRerollup(client: Client, month: string): Promise<void> {
  // Unset: the workflow's own debounce (2 s of quiet, 30 s at most).
  const { REROLLUP_QUIET_MS: quietMs, REROLLUP_MAX_DELAY_MS: maxDelayMs } = config();
  await client.workflow.signalWithStart<typeof rerollupMonthWorkflow>('rerollupMonthWorkflow', {
    workflowId: prefixedId(rerollupWorkflowId(month)),
    taskQueue: taskQueue('commands'),
    args: [
      {
        month,
        rollupsPerRun: ROLLUPS_PER_RUN,
        ...(quietMs === undefined ? {} : { quietMs }),
        ...(maxDelayMs === undefined ? {} : { maxDelayMs }),
      },
    ],
    signal: monthDirtySignal,
    signalArgs: [],
  });
}
