import {
  ApplicationFailure,
  condition,
  proxyLocalActivities,
  setHandler,
} from '@temporalio/workflow';
import type { CommandActivities } from '../activities/command-activities';
import {
  type CommandOutcome,
  commandIdConflict,
  commandResultUpdate,
  type OrderCommandInput,
} from '../contracts/order-commands';
import { decideBatch, orderStreamId } from '../domain';

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
 * Answers the caller's `commandResult` update once the command has an outcome (or failed),
 * refusing a payload that does not match the command id's first one.
 */
export function installCommandResult(
  input: OrderCommandInput,
  result: () => { outcome?: CommandOutcome; failure?: unknown },
): void {
  setHandler(
    commandResultUpdate,
    async () => {
      await condition(() => result().outcome !== undefined || result().failure !== undefined);
      const { outcome } = result();
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
}

/**
 * Load, decide, append; re-decide on a concurrency conflict, a bounded number of times.
 * `loadOrder` decides the command as a batch of one (`decideBatch`) and answers what the
 * store holds or refuses it there, where a refusal can be recorded; on an accepted one the
 * workflow decides the same on the same state for the events to append.
 */
export async function handle(input: OrderCommandInput): Promise<CommandOutcome> {
  for (let attempt = 1; attempt <= MAX_DECIDE_ATTEMPTS; attempt++) {
    const loaded = await loadOrder(input);
    if (loaded.kind === 'processed') return { ok: true, reply: loaded.reply };
    if (loaded.kind === 'commandIdConflict') return commandIdConflict(input.commandId);
    // Recorded by the activity. No patch needed: histories from before never hold this
    // result, so they replay down the old path with the same commands.
    if (loaded.kind === 'refused') return { ok: false, error: loaded.error };

    const { version, state } = loaded;
    const order = new Map([[orderStreamId(input.command.orderId), { version, state }]]);
    const { outcomes, appends } = decideBatch([input], order, new Map());
    const decided = outcomes[0];
    // Only runs recorded before the activity refused get here with a refusal.
    if (decided?.kind === 'refused') return { ok: false, error: decided.error };
    const append = appends[0];
    if (!append) throw ApplicationFailure.nonRetryable(`no decision for ${decided?.kind}`);

    const appended = await appendOrderEvents({
      input,
      expectedVersion: append.expectedVersion,
      events: append.events,
    });
    if (appended.kind === 'appended') return { ok: true, reply: appended.reply };
    if (appended.kind === 'commandIdConflict') return commandIdConflict(input.commandId);
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
