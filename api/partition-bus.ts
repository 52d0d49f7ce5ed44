import { randomUUID } from 'node:crypto';
import { context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import {
  type Client,
  WithStartWorkflowOperation,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  commandBytes,
  commandPartitionWorkflowId,
  PARTITION_DRAINING,
  PARTITION_HISTORY_BYTES_PER_RUN,
  PARTITION_HISTORY_EVENTS_PER_RUN,
  PARTITION_STUCK_RETRIES_PER_RUN,
  PARTITION_UPDATES_PER_RUN,
  type PartitionCommandResult,
  submitCommandsUpdate,
  UPDATE_MAX_BYTES,
  UPDATE_MAX_COMMANDS,
  UPDATE_REFUSED,
} from '../contracts/command-partitions';
import type {
  CommandErrorCode,
  CommandReply,
  OrderCommandInput,
} from '../contracts/order-commands';
import { partitionOf } from '../domain';
import { commandUpdateSize } from '../runtime/metrics';
import { prefixedId, taskQueue } from '../temporal/task-queues';
import type { commandPartitionWorkflow } from '../workflows/command-partition';
import {
  CommandRejectedError,
  isBusy,
  notYet,
  resendPause,
  withinDeadline,
} from './command-deadline';
import { takeUpdate, type UpdateCaps } from './command-queue';

export interface PartitionBusOptions {
  partitions: number;
  /** Updates (each an array of commands) this process keeps in flight per partition. */
  inflightPerPartition: number;
  deadlineMs: number;
  /** The caps of one update; the contract's (100 commands, 256 KiB) when not given. */
  caps?: UpdateCaps;
}

/** How long past its last caller's deadline an update's call is cancelled. */
const DEADLINE_GRACE_MS = 100;

/** A caller's command, queued for its partition until it goes out in an update. */
interface Pending {
  input: OrderCommandInput;
  bytes: number;
  /** When its caller's deadline passes (epoch ms). */
  until: number;
  readonly gone: boolean;
  resolve(reply: CommandReply): void;
  reject(err: unknown): void;
}

/**
 * Sends commands to their partition workflows, coalesced: each partition has a queue in this
 * process, and whatever waits in it goes out as ONE update carrying an array (update-with-start,
 * USE_EXISTING, on the partition the order id hashes to), at most `inflightPerPartition` such
 * updates at once per partition (the server refuses more than 10 in flight per workflow,
 * from all API processes together), within the caps of one update. Each partition sends on
 * its own, so a busy one never holds up another; in a partition, callers go in arrival order.
 * Every caller gets its own command's result; a refusal for load or a partition continuing as
 * new is resent until the deadline, and the deadline answers 503, never a hang.
 */
export function createPartitionBus(client: Client, options: PartitionBusOptions) {
  const caps = options.caps ?? { maxCommands: UPDATE_MAX_COMMANDS, maxBytes: UPDATE_MAX_BYTES };
  const partitions = Array.from({ length: options.partitions }, (_, partition) => ({
    partition,
    queue: [] as Pending[],
    inflight: 0,
  }));
  type Partition = (typeof partitions)[number];

  function pump(p: Partition): void {
    while (p.inflight < options.inflightPerPartition && p.queue.length > 0) {
      const { update, rest } = takeUpdate(p.queue, caps);
      p.queue = rest;
      if (update.length === 0) return;
      p.inflight++;
      sendUpdate(p, update).finally(() => {
        p.inflight--;
        pump(p);
      });
    }
  }

  async function sendUpdate(p: Partition, update: Pending[]): Promise<void> {
    // The same id on every resend of this array: one that was accepted before a connection
    // dropped answers from the run that has it.
    const updateId = randomUUID();
    const inputs = update.map((w) => w.input);
    commandUpdateSize.observe(inputs.length);
    // Cancelled once every caller's deadline has passed: none is left to answer. A moment
    // later than the last one, so each caller is answered by its own deadline first.
    const until = AbortSignal.timeout(
      Math.max(1, ...update.map((w) => w.until - Date.now())) + DEADLINE_GRACE_MS,
    );
    // In the trace of the oldest caller's request (not of whichever call freed the slot);
    // the batch activity links to every request it carried.
    const traceparent = update[0]?.input.traceparent;
    const trace = traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
    for (let attempt = 0; ; attempt++) {
      try {
        const results = await context.with(trace, () =>
          client.withAbortSignal(until, () =>
            client.workflow.executeUpdateWithStart(submitCommandsUpdate, {
              args: [inputs],
              updateId,
              startWorkflowOperation: startOperation(p.partition),
            }),
          ),
        );
        deliver(p, update, results);
        return;
      } catch (err) {
        const cause = err instanceof WorkflowUpdateFailedError ? err.cause : undefined;
        const draining = cause instanceof ApplicationFailure && cause.type === PARTITION_DRAINING;
        if (!(draining || isBusy(err)) || until.aborted) {
          const rejection = until.aborted
            ? notYet(`the command did not finish within ${options.deadlineMs} ms`)
            : toRejection(err);
          for (const w of update) w.reject(rejection);
          return;
        }
        await resendPause(attempt);
      }
    }
  }

  /** Each caller its own result; those the run gave back go first in the next update. */
  function deliver(p: Partition, update: Pending[], results: PartitionCommandResult[]): void {
    const again: Pending[] = [];
    update.forEach((w, i) => {
      const result = results[i];
      if (!result) w.reject(new Error(`no result for command ${w.input.commandId}`));
      else if ('resend' in result) again.push(w);
      else if (result.ok) w.resolve(result.reply);
      else {
        const { error } = result;
        w.reject(new CommandRejectedError(error.code, error.message, error));
      }
    });
    p.queue.unshift(...again);
  }

  return function submit(input: OrderCommandInput): Promise<CommandReply> {
    const p = partitions[partitionOf(input.command.orderId, options.partitions)];
    if (!p) throw new Error(`no partition for order ${input.command.orderId}`);
    return withinDeadline(
      options.deadlineMs,
      (deadline) =>
        new Promise<CommandReply>((resolve, reject) => {
          p.queue.push({
            input,
            bytes: commandBytes(input),
            until: Date.now() + options.deadlineMs,
            get gone() {
              return deadline.aborted;
            },
            resolve,
            reject,
          });
          pump(p);
        }),
    );
  };
}

function startOperation(partition: number) {
  // An operation object can be used once: one per call.
  return new WithStartWorkflowOperation<typeof commandPartitionWorkflow>(
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
          historyBytesPerRun: PARTITION_HISTORY_BYTES_PER_RUN,
          historyEventsPerRun: PARTITION_HISTORY_EVENTS_PER_RUN,
        },
      ],
      workflowIdConflictPolicy: 'USE_EXISTING',
    },
  );
}

function toRejection(err: unknown): unknown {
  const cause = err instanceof WorkflowUpdateFailedError ? err.cause : undefined;
  // Sized before sending, so never the caller's doing: an internal error (nothing applied).
  if (cause instanceof ApplicationFailure && cause.type === UPDATE_REFUSED) {
    return new Error(`the partition refused the update: ${cause.message}`);
  }
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
