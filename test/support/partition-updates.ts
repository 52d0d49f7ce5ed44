// Updates sent straight to a command partition workflow, as an API process sends them:
// update-with-start on the partition's workflow id, USE_EXISTING.
import { randomUUID } from 'node:crypto';
import { type Client, WithStartWorkflowOperation } from '@temporalio/client';
import {
  type PartitionCommandResult,
  type PartitionReply,
  type PartitionState,
  submitCommandsUpdate,
  submitCommandUpdate,
} from '../../contracts/command-partitions';
import type { OrderCommandInput } from '../../contracts/order-commands';
import { taskQueue } from '../../temporal/task-queues';
import type { commandPartitionWorkflow } from '../../workflows/command-partition';

/** Starts the partition with `state` unless it runs (an operation object is used once). */
function startPartition(workflowId: string, state: PartitionState) {
  return new WithStartWorkflowOperation<typeof commandPartitionWorkflow>(
    'commandPartitionWorkflow',
    {
      workflowId,
      taskQueue: taskQueue('commands'),
      args: [state],
      workflowIdConflictPolicy: 'USE_EXISTING',
    },
  );
}

/** One array of commands (what API processes send since issue 26): each its own result. */
export function sendArray(
  client: Client,
  workflowId: string,
  state: PartitionState,
  inputs: OrderCommandInput[],
): Promise<PartitionCommandResult[]> {
  return client.workflow.executeUpdateWithStart(submitCommandsUpdate, {
    args: [inputs],
    updateId: randomUUID(),
    startWorkflowOperation: startPartition(workflowId, state),
  });
}

/** One command as its own update, id = command id (what API processes sent before arrays). */
export function sendOne(
  client: Client,
  workflowId: string,
  state: PartitionState,
  input: OrderCommandInput,
): Promise<PartitionReply> {
  return client.workflow.executeUpdateWithStart(submitCommandUpdate, {
    args: [input],
    updateId: input.commandId,
    startWorkflowOperation: startPartition(workflowId, state),
  });
}
