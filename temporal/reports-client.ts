import type { Client } from '@temporalio/client';
import { config } from '../config/env';
import {
  monthDirtySignal,
  ROLLUPS_PER_RUN,
  type rerollupMonthWorkflow,
  rerollupWorkflowId,
} from '../workflows/reports';
import { prefixedId, taskQueue } from './task-queues';

/** Marks a rolled-up month as changed: starts its debounced re-rollup, or adds to the running one. */
export async function requestRerollup(client: Client, month: string): Promise<void> {
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
