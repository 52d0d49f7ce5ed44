import { trace } from '@opentelemetry/api';
import { ApplicationFailure } from '@temporalio/activity';
import { COMMAND_UNPROCESSABLE, type UnprocessableCommand } from '../contracts/command-partitions';
import type { CommandOutcome, OrderCommandInput } from '../contracts/order-commands';
import { type DomainError, decide, fold, type OrderState, orderStreamId, upcast } from '../domain';
import type { BatchAppend, EventStore } from '../eventstore';
import { logger } from '../runtime/logger';
import { commandsUnprocessable } from '../runtime/metrics';
import { appendOptionsOf, newEvents } from './command-events';
import { commandFailureOf, unprocessableMessage } from './command-failures';
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

  /**
   * One command on its own, re-decided after a lost race, its refusals as outcomes; a
   * failure no retry can fix as an `UnprocessableCommand`. Transient failures are thrown.
   */
  async function single(input: OrderCommandInput): Promise<CommandOutcome | UnprocessableCommand> {
    for (let round = 1; round <= MAX_BATCH_DECIDE_ATTEMPTS; round++) {
      try {
        const [outcome] = await attempt([input]);
        if (outcome) return outcome;
      } catch (err) {
        const failure = commandFailureOf(err);
        switch (failure.kind) {
          case 'redecide':
            continue;
          case 'commandIdConflict':
            return commandIdConflict(input);
          case 'invalidData': {
            const message = `invalid command: the event store refused its data (${(err as Error).message})`;
            return { ok: false, error: { code: 'InvalidCommand', message, issues: [] } };
          }
          case 'unprocessable': {
            const { commandId, command } = input;
            logger.error(
              { err, commandId, orderId: command.orderId, reason: failure.reason },
              'command cannot be processed: refused (nothing saved)',
            );
            commandsUnprocessable.inc({ reason: failure.reason });
            return {
              commandId,
              reason: failure.reason,
              message: unprocessableMessage(command.orderId, commandId, failure.cause),
            };
          }
          case 'transient':
            throw err;
        }
      }
    }
    return concurrencyConflict(input);
  }

  /** Each command on its own; those no retry can process fail the activity for good, named. */
  async function oneByOne(inputs: readonly OrderCommandInput[]): Promise<CommandOutcome[]> {
    const outcomes: CommandOutcome[] = [];
    const unprocessable: UnprocessableCommand[] = [];
    for (const input of inputs) {
      const outcome = await single(input);
      if ('reason' in outcome) unprocessable.push(outcome);
      else outcomes.push(outcome);
    }
    if (unprocessable.length === 0) return outcomes;
    // The others' outcomes are stored: the partition sends them again without these, and
    // they are answered from the store.
    throw ApplicationFailure.create({
      type: COMMAND_UNPROCESSABLE,
      message: `${unprocessable.length} of ${inputs.length} command(s) cannot be processed: ${unprocessable[0]?.message}`,
      details: [unprocessable],
      nonRetryable: true,
    });
  }

  return {
    /**
     * Decides and appends a partition's queued commands, in order, and answers each with
     * its own outcome. All in one transaction when nothing conflicts; when the batch as a
     * whole is refused (an order changed by a writer outside the partition, a reused
     * command id, data PostgreSQL refuses, an order this code cannot read), each command is
     * decided and appended on its own, so one command's problem is never another's; those
     * that no retry can process fail the activity non-retryably (`CommandUnprocessable`,
     * naming them). Transient errors of the store (unreachable) are thrown: the local
     * activity retries the batch, which is idempotent by command id.
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
      if (inputs.length === 1) return oneByOne(inputs);
      try {
        return await attempt(inputs);
      } catch (err) {
        if (commandFailureOf(err).kind === 'transient') throw err;
      }
      return oneByOne(inputs);
    },
  };
}

export type CommandBatchActivities = ReturnType<typeof createCommandBatchActivities>;
