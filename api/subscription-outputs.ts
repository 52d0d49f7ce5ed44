import { z } from 'zod';

// What the subscriptions procedures answer (see api/outputs.ts: objects strip what they do
// not name, so a secret never leaves but through create and rotateSecret).

const instant = z.string().describe('An ISO-8601 instant in UTC');
const position = z.number().int().min(0).describe('A global position in the event store');
const checkpoint = z
  .object({
    transactionId: z.string().describe('xid8 of the writing transaction, in decimal'),
    position,
  })
  .describe(
    'Every event up to here, in (transaction id, position) order, is acknowledged or not subscribed to',
  );

export const deliveryOutput = z
  .object({
    id: z.number().int().describe('The attempt’s id: pass as cursor for the next page'),
    messageId: z.string().describe('The webhook-id header: the same on every attempt and replay'),
    eventType: z.string(),
    position,
    attempt: z.number().int().min(1),
    outcome: z.enum(['delivered', 'failed', 'gone', 'refused']),
    statusCode: z.number().int().nullable(),
    durationMs: z.number().int().min(0),
    error: z.string().nullable(),
    attemptedAt: instant,
  })
  .meta({ id: 'SubscriptionDelivery' });

export const subscriptionOutput = z
  .object({
    id: z.string(),
    url: z.string(),
    eventTypes: z.array(z.string()).nullable().describe('null: every type'),
    description: z.string().nullable(),
    enabled: z.boolean(),
    state: z
      .enum(['active', 'failing', 'disabled'])
      .describe('failing: its endpoint fails and is retried; disabled: see disabledReason'),
    disabledReason: z.string().nullable(),
    consecutiveFailures: z.number().int().min(0),
    failingSince: instant.nullable(),
    lastError: z.string().nullable(),
    lastStatus: z.number().int().nullable(),
    lastDeliveryAt: instant.nullable(),
    checkpoint,
    checkpointAt: instant,
    previousSecretUntil: instant
      .nullable()
      .describe('Until when the secret before the last rotation still signs'),
    createdAt: instant,
    workflowId: z.string().describe('Its subscriber workflow in the Temporal UI'),
  })
  .meta({ id: 'Subscription' });

export const subscriptionDetailOutput = subscriptionOutput.extend({
  lag: z.object({
    events: z.number().int().min(0).describe('Events not yet acknowledged (of any type)'),
    seconds: z.number().int().min(0).describe('Age of the oldest of them'),
  }),
  lastDelivery: deliveryOutput.nullable(),
});

export const subscriptionListOutput = z.object({ subscriptions: z.array(subscriptionOutput) });

export const subscriptionSecretOutput = z.object({
  id: z.string(),
  secret: z.string().describe('whsec_…: shown here only; keep it to verify signatures'),
});

export const rotatedSecretOutput = subscriptionSecretOutput.extend({
  previousSecretUntil: instant.nullable(),
});

export const deletedSubscriptionOutput = z.object({ id: z.string(), deleted: z.literal(true) });

export const deliveriesOutput = z.object({
  deliveries: z.array(deliveryOutput),
  nextCursor: z.number().int().nullable().describe('null: no older attempt'),
});

export const replayOutput = z.object({ id: z.string(), checkpoint });
