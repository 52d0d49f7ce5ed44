import { z } from 'zod';
import { CURRENCY_PATTERN, ID_PATTERN } from '../domain';

const id = z.string().regex(ID_PATTERN, 'must be 1-64 characters of A-Z a-z 0-9 _ -');
const currency = z
  .string()
  .regex(CURRENCY_PATTERN, 'must be three upper-case letters (ISO 4217), e.g. EUR');
const month = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month as YYYY-MM, e.g. 2025-10');
const instant = z.iso
  .datetime({ offset: true, message: 'must be an ISO-8601 timestamp, e.g. 2025-10-31T23:30:00Z' })
  .transform((s) => new Date(s).toISOString());

export const getOrderInput = z.strictObject({
  orderId: id,
  minVersion: z.number().int().min(1).max(1_000_000).optional(),
});

export const searchOrdersInput = z.strictObject({
  status: z.enum(['placed', 'completed', 'cancelled', 'refunded']).optional(),
  region: id.optional(),
  customerId: id.optional(),
  productId: id.optional(),
  currency: currency.optional(),
  placedFrom: instant.optional(),
  placedTo: instant.optional(),
  pageSize: z.number().int().min(1).max(100).default(20),
  cursor: z.string().max(1024).optional(),
});

export const monthlyReportInput = z.strictObject({ month, currency, region: id.optional() });

export const topProductsInput = z
  .strictObject({
    from: month,
    to: month,
    currency,
    limit: z.number().int().min(1).max(100).default(10),
  })
  .refine((q) => q.from <= q.to, { message: 'from must not be after to', path: ['to'] });

export const readModelInput = z.strictObject({ readModel: z.enum(['elasticsearch', 'redis']) });
