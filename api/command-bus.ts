import { randomUUID } from 'node:crypto';
import {
  type Client,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  type CommandErrorCode,
  type CommandReply,
  commandResultUpdate,
  type OrderCommandInput,
  orderCommandWorkflowId,
} from '../contracts/order-commands';
import { COMMAND_TYPE, ORDER_ID } from '../contracts/search-attributes';
import { taskQueue } from '../temporal/task-queues';
import type { orderCommandWorkflowV2 } from '../workflows/order-command-v2';
import {
  CommandRejectedError,
  isBusy,
  notYet,
  resendPause,
  withinDeadline,
} from './command-deadline';

/**
 * Sends a command to its workflow and returns once its events are committed, or answers
 * 503 "retry with the same commandId" at the deadline (no worker, Temporal unreachable).
 *
 * Update-with-start: one call starts the command's workflow (or attaches to it when the
 * same command id is in flight) and waits for the update that completes at commit. A
 * finished duplicate answers from the first run's result.
 */
export function submitCommand(
  client: Client,
  input: OrderCommandInput,
  deadlineMs: number,
): Promise<CommandReply> {
  return withinDeadline(deadlineMs, async (deadline) => {
    for (let attempt = 0; ; attempt++) {
      try {
        // Cancelled at the deadline: nothing lingers after the caller was answered.
        return await client.withAbortSignal(deadline, () => sendOnce(client, input));
      } catch (err) {
        if (!isBusy(err) || deadline.aborted) throw toRejection(err);
        await resendPause(attempt);
      }
    }
  });
}

async function sendOnce(client: Client, input: OrderCommandInput): Promise<CommandReply> {
  const workflowId = orderCommandWorkflowId(input.commandId);
  const startWorkflowOperation = new WithStartWorkflowOperation<typeof orderCommandWorkflowV2>(
    'orderCommandWorkflowV2',
    {
      workflowId,
      taskQueue: taskQueue('commands'),
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      // A failed run (event store down) may be retried under the same id; a finished one may not.
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      typedSearchAttributes: [
        { key: ORDER_ID, value: input.command.orderId },
        { key: COMMAND_TYPE, value: input.command.type },
      ],
    },
  );
  try {
    return await client.workflow.executeUpdateWithStart(commandResultUpdate, {
      args: [input.payloadHash],
      // One update per request: a stable id would replay a failed run's stored outcome
      // to the run that retries it. Duplicates in flight are harmless: every handler
      // waits for the same single outcome.
      updateId: randomUUID(),
      startWorkflowOperation,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError)
      return await firstRunReply(client, input);
    throw err;
  }
}

async function firstRunReply(client: Client, input: OrderCommandInput): Promise<CommandReply> {
  const result = await client.workflow
    .getHandle<typeof orderCommandWorkflowV2>(orderCommandWorkflowId(input.commandId))
    .result();
  if (result.payloadHash !== input.payloadHash) {
    throw new CommandRejectedError(
      'CommandIdConflict',
      `command id ${input.commandId} was already used for a different command`,
    );
  }
  if (!result.ok)
    throw new CommandRejectedError(result.error.code, result.error.message, result.error);
  return result.reply;
}

function toRejection(err: unknown): unknown {
  const cause = err instanceof WorkflowUpdateFailedError ? err.cause : undefined;
  if (cause instanceof ApplicationFailure && cause.type) {
    return new CommandRejectedError(
      cause.type as CommandErrorCode,
      cause.message,
      cause.details?.[0],
    );
  }
  if (isBusy(err)) return notYet('the workflow engine is busy or unavailable');
  return err;
}
