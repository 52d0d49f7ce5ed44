import {
  type Client,
  WithStartWorkflowOperation,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  commandPartitionWorkflowId,
  PARTITION_DRAINING,
  PARTITION_STUCK_RETRIES_PER_RUN,
  PARTITION_UPDATES_PER_RUN,
  submitCommandUpdate,
} from '../contracts/command-partitions';
import type {
  CommandErrorCode,
  CommandReply,
  OrderCommandInput,
} from '../contracts/order-commands';
import { partitionOf } from '../domain';
import { prefixedId, taskQueue } from '../temporal/task-queues';
import type { commandPartitionWorkflow } from '../workflows/command-partition';
import {
  CommandRejectedError,
  isBusy,
  notYet,
  resendPause,
  withinDeadline,
} from './command-deadline';

export interface PartitionBusOptions {
  partitions: number;
  inflightPerPartition: number;
  deadlineMs: number;
}

/** A counting semaphore: at most `limit` holders, the others wait in order. */
class Slots {
  private held = 0;
  private waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  async take(signal: AbortSignal): Promise<void> {
    if (this.held < this.limit) {
      this.held++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal.removeEventListener('abort', abandon);
        resolve();
      };
      const abandon = () => {
        this.waiting = this.waiting.filter((w) => w !== grant);
        reject(signal.reason);
      };
      this.waiting.push(grant);
      signal.addEventListener('abort', abandon, { once: true });
    });
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.held--;
  }
}

/**
 * Sends commands to their partition workflows: update-with-start (USE_EXISTING) on the
 * partition the order id hashes to, the update id being the command id, so a resend of
 * the same command attaches to the one in flight or gets its stored outcome. At most
 * `inflightPerPartition` updates per partition leave this process at once (the server's
 * limit is 10 per workflow); a refusal for load or a partition that is continuing as new is
 * resent until the deadline, and the deadline answers 503, never a hang.
 */
export function createPartitionBus(client: Client, options: PartitionBusOptions) {
  const slots = Array.from(
    { length: options.partitions },
    () => new Slots(options.inflightPerPartition),
  );

  async function send(
    partition: number,
    input: OrderCommandInput,
    deadline: AbortSignal,
  ): Promise<CommandReply> {
    const startWorkflowOperation = new WithStartWorkflowOperation<typeof commandPartitionWorkflow>(
      'commandPartitionWorkflow',
      {
        workflowId: prefixedId(commandPartitionWorkflowId(partition)),
        taskQueue: taskQueue('commands'),
        args: [
          {
            partition,
            handledTotal: 0,
            updatesPerRun: PARTITION_UPDATES_PER_RUN,
            stuckRetriesPerRun: PARTITION_STUCK_RETRIES_PER_RUN,
          },
        ],
        workflowIdConflictPolicy: 'USE_EXISTING',
      },
    );
    // Cancelled at the deadline: no call of an answered request lingers (retrying on a
    // connection that may be closed meanwhile). The update itself goes on in its partition.
    const reply = await client.withAbortSignal(deadline, () =>
      client.workflow.executeUpdateWithStart(submitCommandUpdate, {
        args: [input],
        updateId: input.commandId.toLowerCase(),
        startWorkflowOperation,
      }),
    );
    // The same command id with another payload attached to the first one in flight.
    if (reply.payloadHash !== input.payloadHash) {
      throw new CommandRejectedError(
        'CommandIdConflict',
        `command id ${input.commandId} was already used for a different command`,
      );
    }
    return { orderId: reply.orderId, version: reply.version, position: reply.position };
  }

  return function submit(input: OrderCommandInput): Promise<CommandReply> {
    const partition = partitionOf(input.command.orderId, options.partitions);
    return withinDeadline(options.deadlineMs, async (deadline) => {
      await slots[partition]?.take(deadline);
      try {
        for (let attempt = 0; ; attempt++) {
          try {
            return await send(partition, input, deadline);
          } catch (err) {
            const cause = err instanceof WorkflowUpdateFailedError ? err.cause : undefined;
            const draining =
              cause instanceof ApplicationFailure && cause.type === PARTITION_DRAINING;
            if (!(draining || isBusy(err)) || deadline.aborted) throw toRejection(err, input);
            await resendPause(attempt);
          }
        }
      } finally {
        slots[partition]?.release();
      }
    });
  };
}

function toRejection(err: unknown, input: OrderCommandInput): unknown {
  const cause = err instanceof WorkflowUpdateFailedError ? err.cause : undefined;
  if (cause instanceof ApplicationFailure && cause.type) {
    const forPayload = cause.details?.[1];
    if (typeof forPayload === 'string' && forPayload !== input.payloadHash) {
      return new CommandRejectedError(
        'CommandIdConflict',
        `command id ${input.commandId} was already used for a different command`,
      );
    }
    return new CommandRejectedError(
      cause.type as CommandErrorCode,
      cause.message,
      cause.details?.[0],
    );
  }
  if (isBusy(err)) return notYet('the workflow engine is busy or unavailable');
  return err;
}
