import type { OrderEventType } from './events';
import { upcast } from './upcast';

// What a subscriber receives for one event (the Standard Webhooks body and message id).
// Pure: the delivery activity and the tests build the same bytes from the same event.

/** The public names of the events, as subscribers filter and receive them. */
export const WEBHOOK_EVENT_TYPES = {
  OrderPlaced: 'order.placed',
  OrderCompleted: 'order.completed',
  OrderCancelled: 'order.cancelled',
  OrderRefunded: 'order.refunded',
} as const satisfies Record<OrderEventType, string>;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[OrderEventType];

export const ALL_WEBHOOK_EVENT_TYPES = Object.values(WEBHOOK_EVENT_TYPES) as WebhookEventType[];

/** The public name of a stored event type; null for a type subscribers are not sent. */
export function webhookEventType(storedType: string): WebhookEventType | null {
  return Object.hasOwn(WEBHOOK_EVENT_TYPES, storedType)
    ? WEBHOOK_EVENT_TYPES[storedType as OrderEventType]
    : null;
}

/** The envelope fields a body is built from (StoredEvent has them all). */
export interface WebhookSource {
  eventId: string;
  streamVersion: number;
  globalPosition: number;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: { occurredAt: string };
}

/**
 * `webhook-id`: the same for every attempt and every replay of one event to one
 * subscription (receivers dedupe on it), different between subscriptions.
 */
export function webhookMessageId(subscriptionId: string, eventId: string): string {
  return `msg_${subscriptionId.replaceAll('-', '')}_${eventId.replaceAll('-', '')}`;
}

/**
 * The JSON body: `{ type, timestamp, data: { orderId, version, position, ...fields } }`,
 * the event's current schema version, money in integer minor units as stored.
 */
export function webhookBody(event: WebhookSource): string {
  const type = webhookEventType(event.type);
  if (!type) throw new Error(`event type ${event.type} is not sent to subscribers`);
  const current = upcast(event);
  const { orderId, ...fields } = current.data;
  return JSON.stringify({
    type,
    timestamp: event.metadata.occurredAt,
    data: { orderId, version: event.streamVersion, position: event.globalPosition, ...fields },
  });
}
