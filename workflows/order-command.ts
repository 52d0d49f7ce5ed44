import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  patched,
  proxyLocalActivities,
  setHandler,
} from '@temporalio/workflow';
import type { CommandActivities } from '../activities/command-activities';
import { decide } from '../domain';
import {
  type CommandOutcome,
  type CommandRunResult,
  commandResultUpdate,
  type OrderCommandInput,
  READ_MODELS,
} from './order-command-contract';
import { installProjectionControls, project } from './projection-step';

/** How many times a command is re-decided after losing an optimistic-concurrency race. */
export const MAX_DECIDE_ATTEMPTS = 5;

// Local activities: the event store round trips run in this worker, without extra trips
// through the Temporal server, which is most of a command's latency. Bounded retries: a
// caller is waiting, and an event store that stays down fails the command (the workflow
// fails, so the same command id can be submitted again).
const { loadOrder, appendOrderEvents } = proxyLocalActivities<CommandActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '3 seconds', maximumAttempts: 8 },
});

/**
 * One command: load the order, decide, append; re-decide on a concurrency conflict.
 * Callers get the outcome through `commandResultUpdate` as soon as the events are
 * committed; the read models are updated afterwards.
 */
export async function orderCommandWorkflow(input: OrderCommandInput): Promise<CommandRunResult> {
  let outcome: CommandOutcome | undefined;
  let failure: unknown;

  setHandler(
    commandResultUpdate,
    async () => {
      await condition(() => outcome !== undefined || failure !== undefined);
      if (!outcome)
        throw ApplicationFailure.create({
          type: 'Unavailable',
          message:
            'the event store did not answer; retry with the same commandId (a command id is never applied twice)',
        });
      if (!outcome.ok) {
        throw ApplicationFailure.create({
          type: outcome.error.code,
          message: outcome.error.message,
          details: [outcome.error],
          nonRetryable: true,
        });
      }
      return outcome.reply;
    },
    {
      validator: (payloadHash: string) => {
        if (payloadHash !== input.payloadHash) {
          throw ApplicationFailure.create({
            type: 'CommandIdConflict',
            message: `command id ${input.commandId} was already used for a different command`,
            nonRetryable: true,
          });
        }
      },
    },
  );

  const control = installProjectionControls();

  try {
    outcome = await handle(input);
  } catch (err) {
    failure = err;
  }
  // The caller has its reply; now the read models, with durable retries.
  // patched: command runs recorded before projections existed replay without them.
  if (outcome?.ok && patched('project-read-models')) {
    const target = { orderId: outcome.reply.orderId, version: outcome.reply.version };
    // Independent read models, projected in parallel: one being down does not hold up the other.
    await Promise.all(READ_MODELS.map((model) => project(model, target, control)));
  }
  await condition(allHandlersFinished);
  if (failure)
    throw failure instanceof ActivityFailure ? failure : ApplicationFailure.fromError(failure);
  if (!outcome) throw ApplicationFailure.nonRetryable('no outcome');
  return { ...outcome, payloadHash: input.payloadHash };
}

async function handle(input: OrderCommandInput): Promise<CommandOutcome> {
  for (let attempt = 1; attempt <= MAX_DECIDE_ATTEMPTS; attempt++) {
    const loaded = await loadOrder(input);
    if (loaded.kind === 'processed') return { ok: true, reply: loaded.reply };
    if (loaded.kind === 'commandIdConflict') return commandIdConflict(input);

    const decision = decide(input.command, loaded.state);
    if (!decision.ok) return decision;

    const appended = await appendOrderEvents({
      input,
      expectedVersion: loaded.version,
      events: decision.events,
    });
    if (appended.kind === 'appended') return { ok: true, reply: appended.reply };
    if (appended.kind === 'commandIdConflict') return commandIdConflict(input);
    if (appended.kind === 'invalidData') {
      const message = `invalid command: the event store refused its data (${appended.message})`;
      return { ok: false, error: { code: 'InvalidCommand', message, issues: [] } };
    }
  }
  return {
    ok: false,
    error: {
      code: 'ConcurrencyConflict',
      message: `order ${input.command.orderId} kept changing; gave up after ${MAX_DECIDE_ATTEMPTS} attempts, retry the command`,
    },
  };
}

function commandIdConflict(input: OrderCommandInput): CommandOutcome {
  return {
    ok: false,
    error: {
      code: 'CommandIdConflict',
      message: `command id ${input.commandId} was already used for a different command`,
    },
  };
}
