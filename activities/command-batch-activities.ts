import { trace } from '@opentelemetry/api';
import { ApplicationFailure } from '@temporalio/activity';
import { COMMAND_UNPROCESSABLE, type UnprocessableCommand } from '../contracts/command-partitions';
import {
  type CommandOutcome,
  commandIdConflict,
  type OrderCommandInput,
  type UnprocessableReason,
} from '../contracts/order-commands';
import { type BatchOutcome, type DomainError, decideBatch } from '../domain';
import { type AppendResult, type EventStore, InvalidBatchError } from '../eventstore';
import { logger } from '../runtime/logger';
import { commandsUnprocessable } from '../runtime/metrics';
import { loadDecisionInputs, recordRefusals } from './command-decision';
import { appendOptionsOf, newEvents } from './command-events';
import { commandFailureOf, unprocessableMessage, unreadableCause } from './command-failures';
import { linksToRequests } from './trace-links';

/** Links from a batch's span to the requests of its commands (a batch holds far fewer). */
const MAX_LINKED_REQUESTS = 100;

/** How many times a command is re-decided after losing an optimistic-concurrency race. */
export const MAX_BATCH_DECIDE_ATTEMPTS = 5;

const concurrencyConflict = (input: OrderCommandInput): CommandOutcome => ({
  ok: false,
  error: {
    code: 'ConcurrencyConflict',
    message: `order ${input.command.orderId} kept changing; gave up after ${MAX_BATCH_DECIDE_ATTEMPTS} attempts, retry the command`,
  },
});

/** What became of a command: an outcome to answer, or a command no retry can process. */
type Settled = CommandOutcome | UnprocessableCommand;

/** A command no retry can process: logged and counted here, refused by the partition. */
function unprocessable(
  input: OrderCommandInput,
  reason: UnprocessableReason,
  cause: string,
  err?: unknown,
): UnprocessableCommand {
  const { commandId, command } = input;
  logger.error(
    { err, commandId, orderId: command.orderId, reason },
    'command cannot be processed: refused (nothing saved)',
  );
  commandsUnprocessable.inc({ reason });
  return { commandId, reason, message: unprocessableMessage(command.orderId, commandId, cause) };
}

/**
 * A decided command's outcome: an accepted one's reply is its append's result; a refusal is
 * the one the store kept (`refused`, by command id).
 */
function settle(
  input: OrderCommandInput,
  outcome: BatchOutcome | undefined,
  appended: readonly AppendResult[],
  refused: ReadonlyMap<string, DomainError>,
): Settled {
  const reply = (version: number, position: number): CommandOutcome => ({
    ok: true,
    reply: { orderId: input.command.orderId, version, position },
  });
  if (!outcome) throw new InvalidBatchError(`no outcome for command ${input.commandId}`);
  switch (outcome.kind) {
    case 'committed':
      return reply(outcome.version, outcome.position);
    case 'idConflict':
      return commandIdConflict(input.commandId);
    case 'refused':
      return { ok: false, error: refused.get(input.commandId.toLowerCase()) ?? outcome.error };
    case 'unreadable':
      return unprocessable(input, 'unknown_event', unreadableCause(outcome.cause));
    case 'accepted': {
      const result = appended[outcome.append];
      if (!result) throw new InvalidBatchError(`no append result for ${input.commandId}`);
      return reply(result.version, result.position);
    }
  }
}

/**
 * The event-store side of a command partition: a batch of queued commands decided and
 * appended together, in one local activity and one transaction.
 */
export function createCommandBatchActivities(store: EventStore) {
  /**
   * One attempt at the whole batch: load what the store holds for it, decide it
   * (`decideBatch`), append the accepted commands in one transaction, record the refusals.
   * Throws the store's error when the append fails as a whole.
   */
  async function attempt(inputs: readonly OrderCommandInput[]): Promise<Settled[]> {
    const { orders, recorded } = await loadDecisionInputs(store, inputs);
    const decision = decideBatch(inputs, orders, recorded);
    const entries = decision.appends.map((planned) => {
      const input = inputs[planned.command];
      if (!input) throw new InvalidBatchError(`no command ${planned.command} in the batch`);
      return {
        streamId: planned.streamId,
        expectedVersion: planned.expectedVersion,
        events: newEvents(planned.events),
        ...appendOptionsOf(input),
      };
    });
    const appended = entries.length > 0 ? await store.appendBatch(entries) : [];
    const refused = await recordRefusals(store, decision.refusals);
    return inputs.map((input, i) => settle(input, decision.outcomes[i], appended, refused));
  }

  /**
   * One command on its own, re-decided after a lost race, its refusals as outcomes; a
   * failure no retry can fix as an `UnprocessableCommand`. Transient failures are thrown.
   */
  async function single(input: OrderCommandInput): Promise<Settled> {
    for (let round = 1; round <= MAX_BATCH_DECIDE_ATTEMPTS; round++) {
      try {
        const [settled] = await attempt([input]);
        if (settled) return settled;
      } catch (err) {
        const failure = commandFailureOf(err);
        switch (failure.kind) {
          case 'redecide':
            continue;
          case 'commandIdConflict':
            return commandIdConflict(input.commandId);
          case 'invalidData': {
            const message = `invalid command: the event store refused its data (${(err as Error).message})`;
            return { ok: false, error: { code: 'InvalidCommand', message, issues: [] } };
          }
          case 'unprocessable':
            return unprocessable(input, failure.reason, failure.cause, err);
          case 'transient':
            throw err;
        }
      }
    }
    return concurrencyConflict(input);
  }

  /**
   * The outcomes, when every command has one. Otherwise the activity fails for good,
   * naming the commands no retry can process; the others' outcomes are stored, so the
   * partition sends them again without these and they are answered from the store.
   */
  function outcomesOf(settled: readonly Settled[]): CommandOutcome[] {
    const outcomes: CommandOutcome[] = [];
    const unprocessable: UnprocessableCommand[] = [];
    for (const s of settled) {
      if ('reason' in s) unprocessable.push(s);
      else outcomes.push(s);
    }
    if (unprocessable.length === 0) return outcomes;
    throw ApplicationFailure.create({
      type: COMMAND_UNPROCESSABLE,
      message: `${unprocessable.length} of ${settled.length} command(s) cannot be processed: ${unprocessable[0]?.message}`,
      details: [unprocessable],
      nonRetryable: true,
    });
  }

  return {
    /**
     * Decides and appends a partition's queued commands, in order, and answers each with
     * its own outcome. All in one transaction when nothing conflicts; when the batch as a
     * whole is refused (an order changed by a writer outside the partition, a reused
     * command id, data PostgreSQL refuses), each command is decided and appended on its
     * own, so one command's problem is never another's. Commands that no retry can process
     * (their order holds an event this code cannot read, a SQLSTATE PostgreSQL will answer
     * again) fail the activity non-retryably (`CommandUnprocessable`, naming them) once the
     * others are stored. Transient errors of the store (unreachable) are thrown: the local
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
      let settled: Settled[] | undefined;
      if (inputs.length > 1) {
        try {
          settled = await attempt(inputs);
        } catch (err) {
          if (commandFailureOf(err).kind === 'transient') throw err;
        }
      }
      if (!settled) {
        settled = [];
        for (const input of inputs) settled.push(await single(input));
      }
      return outcomesOf(settled);
    },
  };
}

export type CommandBatchActivities = ReturnType<typeof createCommandBatchActivities>;
