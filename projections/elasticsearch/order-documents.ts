import { fold, type Order, orderIdOfStream, upcast } from '../../domain';
import type { EventStore, StoredEvent } from '../../eventstore';
import { type OrderDocument, toOrderDocument } from './order-document';

/**
 * The latest state of every order the events touched, read in one query. Projections write
 * state, not deltas: whatever batch, retry or replay delivers an order, its newest
 * document wins by version.
 */
export async function latestOrderDocuments(
  store: EventStore,
  events: readonly StoredEvent[],
  reportTimeZone: string,
): Promise<OrderDocument[]> {
  const streamIds = [...new Set(events.map((e) => e.streamId))].filter(
    (id) => orderIdOfStream(id) !== null,
  );
  return orderDocumentsOf(store, streamIds, reportTimeZone);
}

/** The current documents of the given order streams (streams without events are left out). */
export async function orderDocumentsOf(
  store: EventStore,
  streamIds: readonly string[],
  reportTimeZone: string,
): Promise<OrderDocument[]> {
  if (streamIds.length === 0) return [];
  const streams = await store.readStreams([...streamIds]);
  const docs: OrderDocument[] = [];
  for (const events of streams.values()) {
    const state = fold(events.map(upcast));
    if (state.status === 'none') continue;
    docs.push(toOrderDocument(state as Order, events.length, reportTimeZone));
  }
  return docs;
}

/**
 * The (month, currency) report slots whose numbers these documents move: the completion
 * month (both views) and, for a refund, the refund's month too (the booked view).
 */
export function reportSlotsMoved(
  docs: readonly OrderDocument[],
): { month: string; currency: string }[] {
  const slots = new Map<string, { month: string; currency: string }>();
  const add = (month: string, currency: string) =>
    slots.set(`${month}/${currency}`, { month, currency });
  for (const doc of docs) {
    if (doc.reportMonth === null) continue;
    if (doc.status !== 'completed' && doc.status !== 'refunded') continue;
    add(doc.reportMonth, doc.currency);
    if (doc.refundMonth) add(doc.refundMonth, doc.currency);
  }
  return [...slots.values()];
}
