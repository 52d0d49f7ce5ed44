import { z } from 'zod';
import { currency, id, utcInstant as instant, month } from './input-primitives';

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
