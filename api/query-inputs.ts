import { z } from 'zod';
import { monthsBetween } from '../domain';
import { currency, id, utcInstant as instant, month } from './input-primitives';

/** The most months one range query may cover: each is an aggregation over its orders. */
export const MAX_RANGE_MONTHS = 36;

export const getOrderInput = z.strictObject({
  orderId: id,
  minVersion: z.number().int().min(1).max(1_000_000).optional(),
});

/**
 * Read-your-writes: the `position` a command replied with. The query waits (at most 2 s)
 * until the read model has projected it, or answers with `stale: true`.
 */
const minPosition = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional();

export const searchOrdersInput = z.strictObject({
  minPosition,
  status: z.enum(['placed', 'completed', 'cancelled', 'refunded']).optional(),
  region: id.optional(),
  customerId: id.optional(),
  productId: id.optional(),
  currency: currency.optional(),
  /** Orders counted in this report month (completed in it, in REPORT_TIMEZONE): drill-down. */
  reportMonth: month.optional(),
  placedFrom: instant.optional(),
  placedTo: instant.optional(),
  pageSize: z.number().int().min(1).max(100).default(20),
  cursor: z.string().max(1024).optional(),
});

export const monthlyReportInput = z.strictObject({
  month,
  currency,
  region: id.optional(),
  minPosition,
});

export const topProductsInput = z
  .strictObject({
    from: month,
    to: month,
    currency,
    limit: z.number().int().min(1).max(100).default(10),
    minPosition,
  })
  .refine((q) => q.from <= q.to, { message: 'from must not be after to', path: ['to'] })
  .refine((q) => q.from > q.to || monthsBetween(q.from, q.to).length <= MAX_RANGE_MONTHS, {
    message: `the range may cover at most ${MAX_RANGE_MONTHS} months`,
    path: ['to'],
  });

/** Per-month totals over a range, for charts: each month is one monthly report. */
export const monthlySeriesInput = z
  .strictObject({ from: month, to: month, currency, region: id.optional(), minPosition })
  .refine((q) => q.from <= q.to, { message: 'from must not be after to', path: ['to'] })
  .refine((q) => q.from > q.to || monthsBetween(q.from, q.to).length <= MAX_RANGE_MONTHS, {
    message: `the range may cover at most ${MAX_RANGE_MONTHS} months`,
    path: ['to'],
  });

export const readModelInput = z.strictObject({ readModel: z.enum(['elasticsearch', 'redis']) });

export const commandLookupInput = z.strictObject({ commandId: z.uuid('must be a UUID') });

export const parkedProjectionInput = z.strictObject({
  readModel: z.enum(['elasticsearch', 'redis']),
  orderId: id,
});

export const reconcileInput = z.strictObject({ month });
