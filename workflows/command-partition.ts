import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { CommandBatchActivities } from '../activities/command-batch-activities';
import { COMMAND_PARTITION_STATUS } from '../temporal/search-attributes';
import {
  PARTITION_DRAINING,
  PARTITION_UPDATES_PER_RUN,
  type PartitionState,
  submitCommandUpdate,
} from './command-partition-contract';
import type { CommandOutcome, OrderCommandInput } from './order-command-contract';

/**
 * The limit of runs started before `updatesPerRun` was part of the input: well below the
 * server's `history.maxTotalUpdates` (2,000 per run), whatever `continueAsNewSuggested` says.
 */
const LEGACY_UPDATES_PER_RUN = 1_000;
/** Commands decided in one local activity at most (the API's in-flight cap keeps it ~8). */
const MAX_BATCH = 100;
const STUCK_BACKOFF_FIRST_MS = 1_000;
const STUCK_BACKOFF_MAX_MS = 30_000;

// Bounded retries, as for one command: ~15 s. A store that stays down leaves the batch
// queued (not failed): the partition waits and tries again, and the callers, told 503
// by the API's deadline, get the outcome when they resend the same command id.
const { decideAndAppendBatch } = proxyLocalActivities<CommandBatchActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '3 seconds', maximumAttempts: 8 },
});

const keyOf = (input: OrderCommandInput) => input.commandId.toLowerCase();

/**
 * A command partition: a long-lived workflow that takes every command queued on it (each a
 * durable update, id = command id), decides and appends them together in one local
 * activity per workflow task, and answers each update with its own outcome.
 */
export async function commandPartitionWorkflow(state: PartitionState): Promise<void> {
  const queue: OrderCommandInput[] = [];
  const outcomes = new Map<string, CommandOutcome>();
  let draining = false;

  setHandler(
    submitCommandUpdate,
    async (input) => {
      queue.push(input);
      await condition(() => outcomes.has(keyOf(input)));
      const outcome = outcomes.get(keyOf(input));
      outcomes.delete(keyOf(input));
      if (!outcome) throw ApplicationFailure.nonRetryable('no outcome');
      if (!outcome.ok) {
        // The payload hash goes along: a resend of the command id with another payload
        // gets this stored outcome, and the API must answer it CONFLICT instead.
        throw ApplicationFailure.create({
          type: outcome.error.code,
          message: outcome.error.message,
          details: [outcome.error, input.payloadHash],
          nonRetryable: true,
        });
      }
      return { ...outcome.reply, payloadHash: input.payloadHash };
    },
    {
      // Refused before it is recorded: the API resends it, and it lands on the next run.
      validator: (_input: OrderCommandInput) => {
        if (draining) {
          throw ApplicationFailure.create({
            type: PARTITION_DRAINING,
            message: 'the partition is continuing as new; send the command again',
          });
        }
      },
    },
  );

  let handled = 0;
  for (;;) {
    const limit = state.updatesPerRun ?? LEGACY_UPDATES_PER_RUN;
    if (!draining && (handled >= limit || workflowInfo().continueAsNewSuggested)) {
      draining = true;
    }
    await condition(() => queue.length > 0 || (draining && allHandlersFinished()));
    if (queue.length === 0) break;
    const batch = queue.splice(0, MAX_BATCH);
    const results = await decideUntilStored(batch);
    batch.forEach((input, i) => {
      const outcome = results[i];
      if (outcome) outcomes.set(keyOf(input), outcome);
    });
    handled += batch.length;
  }
  await continueAsNew<typeof commandPartitionWorkflow>({
    ...state,
    handledTotal: state.handledTotal + handled,
    updatesPerRun: state.updatesPerRun ?? PARTITION_UPDATES_PER_RUN,
  });
}

/**
 * The batch's outcomes, however long the event store takes to come back: while it fails,
 * the partition is flagged for operators and tries again with backoff.
 */
async function decideUntilStored(batch: OrderCommandInput[]): Promise<CommandOutcome[]> {
  let backoff = STUCK_BACKOFF_FIRST_MS;
  let flagged = false;
  for (;;) {
    try {
      const results = await decideAndAppendBatch(batch);
      if (flagged) upsertSearchAttributes([{ key: COMMAND_PARTITION_STATUS, value: null }]);
      return results;
    } catch (err) {
      log.warn('command batch failed; the partition will try again', {
        commands: batch.length,
        error: (err as Error).message,
      });
      if (!flagged) {
        upsertSearchAttributes([{ key: COMMAND_PARTITION_STATUS, value: 'stuck' }]);
        flagged = true;
      }
      await sleep(backoff);
      backoff = Math.min(backoff * 2, STUCK_BACKOFF_MAX_MS);
    }
  }
}
