import { trace } from '@opentelemetry/api';
import { type DomainError, decide, fold, type OrderState, orderStreamId, upcast } from '../domain';
import {
  type BatchAppend,
  CommandIdConflictError,
  ConcurrencyError,
  type EventStore,
} from '../eventstore';
import type { CommandOutcome, OrderCommandInput } from '../workflows/order-command-contract';
import { appendOptionsOf, newEvents } from './command-events';
import { linksToRequests } from './trace-links';

/** Links from a batch's span to the requests of its commands (a batch holds far fewer). */
const MAX_LINKED_REQUESTS = 100;

/** How many times a command is re-decided after losing an optimistic-concurrency race. */
export const MAX_BATCH_DECIDE_ATTEMPTS = 5;

const commandIdConflict = (input: OrderCommandInput): CommandOutcome => ({
  ok: false,
  error: {
    code: 'CommandIdConflict',
    message: `command id ${input.commandId} was already used for a different command`,
  },
});

const concurrencyConflict = (input: OrderCommandInput): CommandOutcome => ({
  ok: false,
  error: {
    code: 'ConcurrencyConflict',
    message: `order ${input.command.orderId} kept changing; gave up after ${MAX_BATCH_DECIDE_ATTEMPTS} attempts, retry the command`,
  },
});

/** PostgreSQL refused the data itself (SQLSTATE class 22): retrying cannot help. */
function invalidData(err: unknown): string | null {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('22') ? (err as Error).message : null;
}

/**
 * The event-store side of a command partition: a batch of queued commands decided and
 * appended together, in one local activity and one transaction.
 */
export function createCommandBatchActivities(store: EventStore) {
  /**
   * One attempt at the whole batch: what the store already holds answers committed commands
   * (a redelivered batch after a crash, a retry with the same command id); the others are
   * decided in order, each on the state the earlier ones of the batch leave, and appended
   * in one transaction. Throws the store's error when the append fails as a whole.
   */
  async function attempt(inputs: readonly OrderCommandInput[]): Promise<CommandOutcome[]> {
    const ids = inputs.map((i) => i.commandId);
    const [processed, refused] = await Promise.all([
      store.findCommands(ids),
      store.findRefusals(ids),
    ]);
    const refusals: { commandId: string; streamId: string; payloadHash: string; error: unknown }[] =
      [];
    const streamIds = [...new Set(inputs.map((i) => orderStreamId(i.command.orderId)))];
    const stored = await store.readStreams(streamIds);
    const states = new Map<string, { state: OrderState; version: number }>();
    for (const [streamId, events] of stored) {
      states.set(streamId, { state: fold(events.map(upcast)), version: events.length });
    }
    const outcomes: (CommandOutcome | undefined)[] = [];
    const entries: BatchAppend[] = [];
    const entryOf: number[] = [];
    const firstOf = new Map<string, number>();
    inputs.forEach((input, i) => {
      const streamId = orderStreamId(input.command.orderId);
      const key = input.commandId.toLowerCase();
      const previous = processed.get(key);
      if (previous) {
        outcomes[i] =
          previous.payloadHash === input.payloadHash && previous.streamId === streamId
            ? {
                ok: true,
                reply: {
                  orderId: input.command.orderId,
                  version: previous.version,
                  position: previous.position,
                },
              }
            : commandIdConflict(input);
        return;
      }
      const earlier = refused.get(key);
      if (earlier) {
        outcomes[i] =
          earlier.payloadHash === input.payloadHash && earlier.streamId === streamId
            ? { ok: false, error: earlier.error as DomainError }
            : commandIdConflict(input);
        return;
      }
      if (firstOf.has(key)) return; // the same command twice in one batch: answered below
      firstOf.set(key, i);
      const current = states.get(streamId) ?? { state: { status: 'none' }, version: 0 };
      const decision = decide(input.command, current.state);
      if (!decision.ok) {
        outcomes[i] = decision;
        refusals.push({
          commandId: input.commandId,
          streamId,
          payloadHash: input.payloadHash,
          error: decision.error,
        });
        return;
      }
      entries.push({
        streamId,
        expectedVersion: current.version,
        events: newEvents(decision.events),
        ...appendOptionsOf(input),
      });
      entryOf.push(i);
      states.set(streamId, {
        state: fold(decision.events, current.state),
        version: current.version + decision.events.length,
      });
    });
    if (entries.length > 0) {
      const results = await store.appendBatch(entries);
      results.forEach((result, k) => {
        const i = entryOf[k] ?? -1;
        const input = inputs[i];
        if (!input) return;
        outcomes[i] = {
          ok: true,
          reply: {
            orderId: input.command.orderId,
            version: result.version,
            position: result.position,
          },
        };
      });
    }
    await store.recordRefusals(refusals);
    return inputs.map((input, i) => {
      const own = outcomes[i];
      if (own) return own;
      const first = outcomes[firstOf.get(input.commandId.toLowerCase()) ?? -1];
      if (
        first &&
        inputs[firstOf.get(input.commandId.toLowerCase()) ?? -1]?.payloadHash === input.payloadHash
      ) {
        return first;
      }
      return commandIdConflict(input);
    });
  }

  /** One command on its own, re-decided after a lost race, its refusals as outcomes. */
  async function single(input: OrderCommandInput): Promise<CommandOutcome> {
    for (let round = 1; round <= MAX_BATCH_DECIDE_ATTEMPTS; round++) {
      try {
        const [outcome] = await attempt([input]);
        if (outcome) return outcome;
      } catch (err) {
        if (err instanceof CommandIdConflictError) return commandIdConflict(input);
        const refused = invalidData(err);
        if (refused !== null) {
          const message = `invalid command: the event store refused its data (${refused})`;
          return { ok: false, error: { code: 'InvalidCommand', message, issues: [] } };
        }
        if (!(err instanceof ConcurrencyError)) throw err;
      }
    }
    return concurrencyConflict(input);
  }

  return {
    /**
     * Decides and appends a partition's queued commands, in order, and answers each with
     * its own outcome. All in one transaction when nothing conflicts; when the batch as a
     * whole is refused (an order changed by a writer outside the partition, a reused
     * command id, data PostgreSQL refuses), each command is decided and appended on its own,
     * so one command's problem is never another's. Errors of the store itself (unreachable)
     * are thrown: the local activity retries the batch, which is idempotent by command id.
     */
    async decideAndAppendBatch(inputs: OrderCommandInput[]): Promise<CommandOutcome[]> {
      // The batch's span is a child of one partition task, not of each command's request.
      const span = trace.getActiveSpan();
      span?.setAttribute('app.commands', inputs.length);
      span?.addLinks(
        linksToRequests(
          inputs.map((i) => i.traceparent),
          MAX_LINKED_REQUESTS,
        ),
      );
      if (inputs.length === 1 && inputs[0]) return [await single(inputs[0])];
      try {
        return await attempt(inputs);
      } catch (err) {
        const perCommand =
          err instanceof ConcurrencyError ||
          err instanceof CommandIdConflictError ||
          invalidData(err) !== null ||
          /appendBatch:/.test((err as Error).message ?? '');
        if (!perCommand) throw err;
      }
      const outcomes: CommandOutcome[] = [];
      for (const input of inputs) outcomes.push(await single(input));
      return outcomes;
    },
  };
}

export type CommandBatchActivities = ReturnType<typeof createCommandBatchActivities>;
