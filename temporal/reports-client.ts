import type { Client } from '@temporalio/client';
import {
  monthDirtySignal,
  ROLLUPS_PER_RUN,
  type rerollupMonthWorkflow,
  rerollupWorkflowId,
} from '../workflows/reports';
import { prefixedId, taskQueue } from './task-queues';

/** Marks a rolled-up month as changed: starts its debounced re-rollup, or adds to the running one. */
export async function requestRerollup(client: Client, month: string): Promise<void> {
  await client.workflow.signalWithStart<typeof rerollupMonthWorkflow>('rerollupMonthWorkflow', {
    workflowId: prefixedId(rerollupWorkflowId(month)),
    taskQueue: taskQueue('commands'),
    args: [{ month, rollupsPerRun: ROLLUPS_PER_RUN }],
    signal: monthDirtySignal,
    signalArgs: [],
  });
}
