import { z } from 'zod';
import { CURRENCY_PATTERN, ID_PATTERN, LIMITS } from '../domain';

const id = z.string().regex(ID_PATTERN, 'must be 1-64 characters of A-Z a-z 0-9 _ -');

const commandId = z
  .uuid('must be a UUID')
  .optional()
  .describe('Client-chosen idempotency key: a repeat returns the first reply');

/** Only for admins importing history; any offset is accepted and stored as UTC. */
const at = z.iso
  .datetime({ offset: true, message: 'must be an ISO-8601 timestamp, e.g. 2025-10-31T23:30:00Z' })
  .transform((s) => new Date(s).toISOString())
  .optional();

const reason = z.string().min(1).max(LIMITS.maxReasonLength);

export const placeOrderInput = z.strictObject({
  commandId,
  customerId: id,
  region: id,
  currency: z
    .string()
    .regex(CURRENCY_PATTERN, 'must be three upper-case letters (ISO 4217), e.g. EUR'),
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
});

export const completeOrderInput = z.strictObject({ commandId, orderId: id, at });
export const cancelOrderInput = z.strictObject({ commandId, orderId: id, reason });
export const refundOrderInput = z.strictObject({ commandId, orderId: id, reason, at });

export const commandReplyOutput = z.object({
  orderId: z.string(),
  version: z.number().int(),
  position: z.number().int(),
});
