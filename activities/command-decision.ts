// The event-store side of the command decision (domain/decide-batch.ts), shared by both
// command paths: what it reads before deciding and how its refusals are recorded.
import type { OrderCommandInput } from '../contracts/order-commands';
import {
  type DomainError,
  type LoadedOrder,
  loadedOrder,
  orderStreamId,
  type PlannedRefusal,
  type RecordedCommand,
} from '../domain';
import type { EventStore, StoredEvent } from '../eventstore';

export interface DecisionInputs {
  /** By stream id; a stream with no events is absent (a new order). */
  orders: Map<string, LoadedOrder>;
  /** By command id, lower case. */
  recorded: Map<string, RecordedCommand>;
}

/**
 * What the store holds for these commands: what is recorded of their ids, then the streams
 * of the orders still to decide (one query each, whatever the batch's size).
 */
export async function loadDecisionInputs(
  store: EventStore,
  inputs: readonly OrderCommandInput[],
): Promise<DecisionInputs> {
  const ids = inputs.map((i) => i.commandId);
  const [committed, refused] = await Promise.all([
    store.findCommands(ids),
    store.findRefusals(ids),
  ]);
  // Only the orders of commands still to decide (none for a resend or a redelivered batch).
  const open = inputs.filter((i) => {
    const id = i.commandId.toLowerCase();
    return !committed.has(id) && !refused.has(id);
  });
  const streamIds = [...new Set(open.map((i) => orderStreamId(i.command.orderId)))];
  const stored =
    streamIds.length > 0 ? await store.readStreams(streamIds) : new Map<string, StoredEvent[]>();
  const orders = new Map<string, LoadedOrder>();
  for (const [streamId, events] of stored) orders.set(streamId, loadedOrder(events));
  const recorded = new Map<string, RecordedCommand>();
  for (const [id, r] of refused) {
    recorded.set(id, { outcome: 'refused', ...r, error: r.error as DomainError });
  }
  // A command id with events is answered by them, whatever else was recorded.
  for (const [id, c] of committed) recorded.set(id, { outcome: 'committed', ...c });
  return { orders, recorded };
}

/**
 * Records the refusals and answers, by command id (lower case), the refusal the store
 * holds for each: the first record wins, so a concurrent run of the same command id that
 * refused it on another state is answered the same by every run.
 */
export async function recordRefusals(
  store: EventStore,
  refusals: readonly PlannedRefusal[],
): Promise<Map<string, DomainError>> {
  const kept = new Map<string, DomainError>();
  if (refusals.length === 0) return kept;
  await store.recordRefusals(refusals);
  const recorded = await store.findRefusals(refusals.map((r) => r.commandId));
  for (const [id, r] of recorded) kept.set(id, r.error as DomainError);
  return kept;
}
