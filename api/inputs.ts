import { z } from 'zod';
import { LIMITS } from '../domain';
import { currency, id, reason, utcInstant } from './input-primitives';

const commandId = z
  .uuid('must be a UUID')
  .optional()
  .describe('Client-chosen idempotency key: a repeat returns the first reply');

const skewMinutes = LIMITS.maxClockSkewMs / 60_000;

/**
 * Only for admins importing history; any offset is accepted and stored as UTC. Never in the
 * future (beyond the clock skew allowed): a future change would hold the order until then.
 */
const at = utcInstant
  .refine(
    (iso) => Date.parse(iso) <= Date.now() + LIMITS.maxClockSkewMs,
    `must not be in the future (at most ${skewMinutes} minutes past the server's clock)`,
  )
  .optional();

export const placeOrderInput = z
  .strictObject({
    commandId,
    customerId: id,
    region: id,
    currency,
    items: z
      .array(
        z.strictObject({
          productId: id,
          quantity: z.number().int().min(LIMITS.minQuantity).max(LIMITS.maxQuantity),
          unitPriceMinor: z
            .number()
            .int('must be an integer number of minor units (cents)')
            .min(LIMITS.minUnitPriceMinor)
            .max(LIMITS.maxUnitPriceMinor),
        }),
      )
      .min(LIMITS.minItems)
      .max(LIMITS.maxItems),
    at,
  })
  .meta({
    examples: [
      {
        commandId: '6f1c2a9e-8b1d-4c39-9d7e-2b1f0c3a4d5e',
        customerId: 'c-42',
        region: 'eu',
        currency: 'EUR',
        items: [{ productId: 'sku-1', quantity: 2, unitPriceMinor: 1250 }],
      },
    ],
  });

export const completeOrderInput = z.strictObject({ commandId, orderId: id, at });
export const cancelOrderInput = z.strictObject({ commandId, orderId: id, reason, at });
export const refundOrderInput = z.strictObject({ commandId, orderId: id, reason, at });
