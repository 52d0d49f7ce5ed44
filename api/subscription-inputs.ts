import { z } from 'zod';
import { ALL_WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../domain/webhook-payload';
import { utcInstant } from './input-primitives';

// The subscriptions procedures' inputs (docs/api.md "Subscriptions").

const subscriptionId = z.uuid('must be a subscription id (a UUID)');
const url = z.string().min(1).max(2_048);
const events = z
  .array(z.enum(ALL_WEBHOOK_EVENT_TYPES as [WebhookEventType, ...WebhookEventType[]]))
  .min(1, 'leave events out to receive every type')
  .max(ALL_WEBHOOK_EVENT_TYPES.length);
const description = z.string().max(500);

export const createSubscriptionInput = z.strictObject({
  url,
  events: events.optional(),
  description: description.optional(),
});

export const subscriptionIdInput = z.strictObject({ id: subscriptionId });

export const updateSubscriptionInput = z.strictObject({
  id: subscriptionId,
  url: url.optional(),
  /** null: every type again. */
  events: events.nullable().optional(),
  description: description.nullable().optional(),
  enabled: z.boolean().optional(),
});

/** Attempt ids stay far below this (and 2^53). */
export const MAX_CURSOR = 1e15;

export const deliveriesInput = z.strictObject({
  id: subscriptionId,
  /** The `nextCursor` of the previous page. */
  cursor: z.number().int().min(1).max(MAX_CURSOR).optional(),
  limit: z.number().int().min(1).max(200).optional(),
});

/** Replay re-sends from a global position, or from a time; one of them is required. */
export const replayInput = z
  .strictObject({
    id: subscriptionId,
    fromPosition: z.number().int().min(1).optional(),
    from: utcInstant.optional(),
  })
  .refine((r) => (r.fromPosition === undefined) !== (r.from === undefined), {
    message: 'give fromPosition or from (one of them): where the replay starts',
    path: ['fromPosition'],
  });
