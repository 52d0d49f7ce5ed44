import {
  ActivityFailure,
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
import {
  COMMAND_UNPROCESSABLE,
  PARTITION_DRAINING,
  PARTITION_HISTORY_BYTES_PER_RUN,
  PARTITION_HISTORY_EVENTS_PER_RUN,
  PARTITION_STUCK_RETRIES_PER_RUN,
  PARTITION_UPDATES_PER_RUN,
  type PartitionCommandResult,
  type PartitionState,
  submitCommandsUpdate,
  submitCommandUpdate,
  type UnprocessableCommand,
  UPDATE_MAX_COMMANDS,
  UPDATE_REFUSED,
  updateProblem,
} from '../contracts/command-partitions';
import type { CommandOutcome, OrderCommandInput } from '../contracts/order-commands';
import { COMMAND_PARTITION_STATUS } from '../contracts/search-attributes';

/**
 * The limit of runs started before `updatesPerRun` was part of the input: well below the
 * server's `history.maxTotalUpdates` (2,000 per run), whatever `continueAsNewSuggested` says.
 */
const LEGACY_UPDATES_PER_RUN = 1_000;
/** Commands decided in one local activity at most: one full update. */
const MAX_BATCH = UPDATE_MAX_COMMANDS;
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
 * A command waiting in the partition, answered by position: the same command id may come
 * twice (in one array, or in two), and each caller gets the answer to its own copy.
 */
interface Queued {
  input: OrderCommandInput;
  outcome?: CommandOutcome;
  /** Given back unanswered: the API sends it to the next run. */
  resend?: boolean;
}

const answered = (q: Queued) => q.outcome !== undefined || q.resend === true;

/** The partition's `CommandPartitionStatus`, kept in step with what it upserted. */
interface Flags {
  /** Cannot store its batch (the event store unreachable): 'stuck' while so. */
  stuck: boolean;
  /** Refused a command it could not process in this run: 'refusing' for the rest of it. */
  refusing: boolean;
}

const statusOf = (flags: Flags) => (flags.stuck ? 'stuck' : flags.refusing ? 'refusing' : null);

/**
 * A command partition: a long-lived workflow that takes every command queued on it (each a
 * durable update, id = command id), decides and appends them together in one local
 * activity per workflow task, and answers each update with its own outcome.
 */
export async function commandPartitionWorkflow(state: PartitionState): Promise<void> {
  const queue: Queued[] = [];
  let draining = false;
  /** Updates this run accepted (the server takes at most 2,000 per run). */
  let updates = 0;
  const flags: Flags = { stuck: false, refusing: false };
  // A run inherits its predecessor's search attributes: 'stuck' holds until a batch is
  // stored, a refusal is flagged for its own run only. (Runs without `stuckRetriesPerRun`
  // started before this, and never continued as new while flagged.)
  if (state.stuckRetriesPerRun !== undefined) {
    const inherited = workflowInfo().typedSearchAttributes.get(COMMAND_PARTITION_STATUS);
    if (inherited === 'stuck') flags.stuck = true;
    else if (inherited !== undefined) {
      upsertSearchAttributes([{ key: COMMAND_PARTITION_STATUS, value: null }]);
    }
  }

  // One command per update: what API processes sent before arrays (runs in flight at an upgrade).
  setHandler(
    submitCommandUpdate,
    async (input) => {
      updates++;
      const queued: Queued = { input };
      queue.push(queued);
      await condition(() => answered(queued));
      if (queued.resend) throw drainingFailure();
      const outcome = queued.outcome;
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
        if (draining) throw drainingFailure();
      },
    },
  );

  // An API process's queued commands as one array: each answered with its own result.
  setHandler(
    submitCommandsUpdate,
    async (inputs) => {
      updates++;
      const queued: Queued[] = inputs.map((input) => ({ input }));
      queue.push(...queued);
      await condition(() => queued.every(answered));
      return queued.map(
        (q): PartitionCommandResult => (q.resend || !q.outcome ? { resend: true } : q.outcome),
      );
    },
    {
      // Refused before it is recorded (no history event): an array over the caps would fail
      // the workflow task (the server's payload limit), a malformed one the batch.
      validator: (inputs: OrderCommandInput[]) => {
        if (draining) throw drainingFailure();
        const problem = updateProblem(inputs);
        if (problem) {
          throw ApplicationFailure.create({ type: UPDATE_REFUSED, message: problem });
        }
      },
    },
  );

  let handled = 0;
  for (;;) {
    if (
      !draining &&
      (runIsFull(state, handled, updates) || workflowInfo().continueAsNewSuggested)
    ) {
      draining = true;
    }
    await condition(() => queue.length > 0 || (draining && allHandlersFinished()));
    if (queue.length === 0) break;
    const batch = queue.splice(0, MAX_BATCH);
    const results = await decideUntilStored(
      batch.map((q) => q.input),
      state.stuckRetriesPerRun,
      flags,
    );
    if (!results) {
      // Stuck for this run's bound: hand every accepted command back, then continue as new.
      draining = true;
      for (const q of [...batch, ...queue.splice(0)]) q.resend = true;
      continue;
    }
    batch.forEach((q, i) => {
      q.outcome = results[i];
    });
    handled += batch.length;
  }
  await continueAsNew<typeof commandPartitionWorkflow>({
    ...state,
    handledTotal: state.handledTotal + handled,
    updatesPerRun: state.updatesPerRun ?? PARTITION_UPDATES_PER_RUN,
    stuckRetriesPerRun: state.stuckRetriesPerRun ?? PARTITION_STUCK_RETRIES_PER_RUN,
    historyBytesPerRun: state.historyBytesPerRun ?? PARTITION_HISTORY_BYTES_PER_RUN,
    historyEventsPerRun: state.historyEventsPerRun ?? PARTITION_HISTORY_EVENTS_PER_RUN,
  });
}

/**
 * Whether the run has grown enough to continue as new: by its history's bytes (and events,
 * when it was started with a cap for them) when it was started with a budget, else by the
 * commands it answered (runs started before).
 */
function runIsFull(state: PartitionState, handled: number, updates: number): boolean {
  if (state.historyBytesPerRun === undefined) {
    return handled >= (state.updatesPerRun ?? LEGACY_UPDATES_PER_RUN);
  }
  const info = workflowInfo();
  return (
    info.historySize >= state.historyBytesPerRun ||
    (state.historyEventsPerRun !== undefined && info.historyLength >= state.historyEventsPerRun) ||
    updates >= LEGACY_UPDATES_PER_RUN
  );
}

function drainingFailure(): ApplicationFailure {
  return ApplicationFailure.create({
    type: PARTITION_DRAINING,
    message: 'the partition is continuing as new; send the command again',
  });
}

/** The commands a batch activity named as unprocessable, if that is how it failed. */
function unprocessableOf(err: unknown): UnprocessableCommand[] | undefined {
  // A local activity's failure reaches the workflow as itself, a remote one's as the cause.
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (!(cause instanceof ApplicationFailure) || cause.type !== COMMAND_UNPROCESSABLE) {
    return undefined;
  }
  const named = cause.details?.[0];
  return Array.isArray(named) ? (named as UnprocessableCommand[]) : undefined;
}

/**
 * The batch's outcomes, however long the event store takes to come back: while it fails,
 * the partition is flagged for operators and tries again with backoff. Commands no retry
 * can process are refused, and the others tried again without them. Undefined once the
 * store has failed `stuckRetries` times (or Temporal suggests continuing as new): this run's
 * history has grown enough.
 */
async function decideUntilStored(
  batch: OrderCommandInput[],
  stuckRetries: number | undefined,
  flags: Flags,
): Promise<(CommandOutcome | undefined)[] | undefined> {
  const refused = new Map<string, CommandOutcome>();
  let pending = batch;
  let backoff = STUCK_BACKOFF_FIRST_MS;
  let failures = 0;
  for (;;) {
    let results: CommandOutcome[];
    try {
      results = pending.length > 0 ? await decideAndAppendBatch(pending) : [];
    } catch (err) {
      const unprocessable = unprocessableOf(err);
      if (unprocessable) {
        for (const u of unprocessable) {
          const error = {
            code: 'CommandUnprocessable' as const,
            message: u.message,
            reason: u.reason,
          };
          refused.set(u.commandId.toLowerCase(), { ok: false, error });
        }
        const left = pending.filter((input) => !refused.has(keyOf(input)));
        // Never a loop without a pause: a failure naming none of them is retried as any other.
        if (left.length < pending.length) {
          pending = left;
          if (!flags.refusing) {
            flags.refusing = true;
            if (!flags.stuck) {
              upsertSearchAttributes([{ key: COMMAND_PARTITION_STATUS, value: statusOf(flags) }]);
            }
          }
          continue;
        }
      }
      log.warn('command batch failed; the partition will try again', {
        commands: pending.length,
        error: (err as Error).message,
      });
      if (!flags.stuck) {
        upsertSearchAttributes([{ key: COMMAND_PARTITION_STATUS, value: 'stuck' }]);
        flags.stuck = true;
      }
      failures++;
      if (
        stuckRetries !== undefined &&
        (failures >= stuckRetries || workflowInfo().continueAsNewSuggested)
      ) {
        return undefined;
      }
      await sleep(backoff);
      backoff = Math.min(backoff * 2, STUCK_BACKOFF_MAX_MS);
      continue;
    }
    if (flags.stuck) {
      flags.stuck = false;
      upsertSearchAttributes([{ key: COMMAND_PARTITION_STATUS, value: statusOf(flags) }]);
    }
    // By position: a command id twice in the batch (the same payload or not) gets the
    // outcome of its own copy.
    const stored = new Map(pending.map((input, i) => [input, results[i]]));
    return batch.map((input) => refused.get(keyOf(input)) ?? stored.get(input));
  }
}
