// The command decision, in one place for both command paths (a partition's batch, one
// workflow per command: a batch of one). Pure: the caller loads, appends and records.
import type { OrderCommand } from './commands';
import { decide } from './decide';
import type { DomainError } from './errors';
import type { OrderEvent } from './events';
import { fold } from './evolve';
import type { OrderState } from './order';
import { orderStreamId } from './streams';
import { type StoredEventShape, UnknownEventError, upcast } from './upcast';

/** A command as the decision needs it: its id, the hash of its payload, what it asks. */
export interface BatchCommand {
  commandId: string;
  payloadHash: string;
  command: OrderCommand;
}

/**
 * An order as loaded from its stream: its version and state, or, when the stream holds an
 * event this code cannot read (a newer version wrote it), why not.
 */
export type LoadedOrder = { version: number; state: OrderState } | { unreadable: string };

/** What the store already holds for a command id: its events' result, or its refusal. */
export type RecordedCommand =
  | {
      outcome: 'committed';
      streamId: string;
      payloadHash: string;
      version: number;
      position: number;
    }
  | { outcome: 'refused'; streamId: string; payloadHash: string; error: DomainError };

/** What becomes of one command of the batch. */
export type BatchOutcome =
  /** Committed before (a resend, a redelivered batch): the stored result is its reply. */
  | { kind: 'committed'; version: number; position: number }
  /** Its id was used before with another payload or for another order. */
  | { kind: 'idConflict' }
  /** Refused by the domain, now (then it is in `refusals`) or when the id first came. */
  | { kind: 'refused'; error: DomainError }
  /** Accepted: `appends[append]` holds its events; its reply is that append's result. */
  | { kind: 'accepted'; append: number }
  /** Its order holds an event this code cannot read: nothing decided, nothing to record. */
  | { kind: 'unreadable'; cause: string };

/** One accepted command's events, to append at `expectedVersion` (in batch order). */
export interface PlannedAppend {
  /** Index of the command in the batch. */
  command: number;
  streamId: string;
  expectedVersion: number;
  events: OrderEvent[];
}

/** A refusal to record, so that a resend of the command id gets the same answer. */
export interface PlannedRefusal {
  commandId: string;
  streamId: string;
  payloadHash: string;
  error: DomainError;
}

export interface BatchDecision {
  /** One per command, in the batch's order. */
  outcomes: BatchOutcome[];
  /** In batch order: appends of one stream follow each other, each at the version the last leaves. */
  appends: PlannedAppend[];
  refusals: PlannedRefusal[];
}

const NEW_ORDER: LoadedOrder = { version: 0, state: { status: 'none' } };

/** An order's stream as the decision reads it: every event upcast and folded, in order. */
export function loadedOrder(stored: readonly StoredEventShape[]): LoadedOrder {
  try {
    return { version: stored.length, state: fold(stored.map(upcast)) };
  } catch (err) {
    // Only an event this code cannot read is the order's own problem; anything else
    // (an event that cannot follow the state) is a bug and stays thrown.
    if (err instanceof UnknownEventError) return { unreadable: err.message };
    throw err;
  }
}

/**
 * Decides a batch of commands, in their order of arrival:
 * - a command id the store already holds is answered from it (the same payload and order)
 *   or is an `idConflict`; so is a command id seen earlier in the same batch;
 * - every other command is decided on its order's state after the earlier commands of the
 *   batch: accepted ones become appends at the version the previous append leaves, refused
 *   ones become refusals to record.
 * `orders` is keyed by stream id; a stream not in it is a new, empty order.
 */
export function decideBatch(
  commands: readonly BatchCommand[],
  orders: ReadonlyMap<string, LoadedOrder>,
  recorded: ReadonlyMap<string, RecordedCommand>,
): BatchDecision {
  const current = new Map(orders);
  const outcomes: BatchOutcome[] = [];
  const appends: PlannedAppend[] = [];
  const refusals: PlannedRefusal[] = [];
  /** The first command of the batch with each id (lower case), for a repeat within it. */
  const first = new Map<string, { index: number; streamId: string; payloadHash: string }>();

  commands.forEach((input, index) => {
    const streamId = orderStreamId(input.command.orderId);
    const key = input.commandId.toLowerCase();
    const same = (other: { streamId: string; payloadHash: string }) =>
      other.streamId === streamId && other.payloadHash === input.payloadHash;

    const stored = recorded.get(key);
    if (stored) {
      if (!same(stored)) outcomes.push({ kind: 'idConflict' });
      else if (stored.outcome === 'committed') {
        outcomes.push({ kind: 'committed', version: stored.version, position: stored.position });
      } else outcomes.push({ kind: 'refused', error: stored.error });
      return;
    }
    const earlier = first.get(key);
    if (earlier) {
      const answer = outcomes[earlier.index];
      outcomes.push(same(earlier) && answer ? answer : { kind: 'idConflict' });
      return;
    }
    first.set(key, { index, streamId, payloadHash: input.payloadHash });

    const order = current.get(streamId) ?? NEW_ORDER;
    if ('unreadable' in order) {
      outcomes.push({ kind: 'unreadable', cause: order.unreadable });
      return;
    }
    const decision = decide(input.command, order.state);
    if (!decision.ok) {
      outcomes.push({ kind: 'refused', error: decision.error });
      refusals.push({
        commandId: input.commandId,
        streamId,
        payloadHash: input.payloadHash,
        error: decision.error,
      });
      return;
    }
    outcomes.push({ kind: 'accepted', append: appends.length });
    appends.push({
      command: index,
      streamId,
      expectedVersion: order.version,
      events: decision.events,
    });
    current.set(streamId, {
      version: order.version + decision.events.length,
      state: fold(decision.events, order.state),
    });
  });
  return { outcomes, appends, refusals };
}
