import { z } from 'zod';
import { REPORT_VIEWS } from '../projections/elasticsearch';
import { currencyCode as currency, id, utcInstant as instant, month } from './input-primitives';

/** The most months one range query may cover: each is an aggregation over its orders. */
export const MAX_RANGE_MONTHS = 36;

const MONTH_TEXT = /^(\d{4})-(0[1-9]|1[0-2])$/;
const monthIndex = (m: unknown): number | null => {
  const match = typeof m === 'string' ? MONTH_TEXT.exec(m) : null;
  return match ? Number(match[1]) * 12 + Number(match[2]) - 1 : null;
};

/**
 * A range's checks, computed rather than enumerated: zod runs refinements on input whose
 * fields already failed, and listing the months up to a malformed `to` never ended.
 */
function rangeChecks<T extends z.ZodType<{ from: string; to: string }>>(schema: T) {
  return schema
    .refine(
      (q) => {
        const [a, b] = [monthIndex(q.from), monthIndex(q.to)];
        return a === null || b === null || a <= b;
      },
      { message: 'from must not be after to', path: ['to'] },
    )
    .refine(
      (q) => {
        const [a, b] = [monthIndex(q.from), monthIndex(q.to)];
        return a === null || b === null || b - a + 1 <= MAX_RANGE_MONTHS;
      },
      { message: `the range may cover at most ${MAX_RANGE_MONTHS} months`, path: ['to'] },
    );
}

export const getOrderInput = z.strictObject({
  orderId: id,
  minVersion: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .describe('A command reply’s version: wait up to 2 s for it (else stale: true)')
    .optional(),
});

/** An order's events from the event store, a page at a time (`nextAfterVersion` goes on). */
export const orderHistoryInput = z.strictObject({
  orderId: id,
  afterVersion: z.number().int().min(0).max(1_000_000).default(0),
  pageSize: z.number().int().min(1).max(500).default(100),
});

/**
 * Read-your-writes: the `position` a command replied with. The query waits (at most 2 s)
 * until the read model has projected it, or answers with `stale: true`.
 */
const minPosition = z
  .number()
  .int()
  .min(1)
  .max(Number.MAX_SAFE_INTEGER)
  .describe('A command reply’s position: wait up to 2 s until the read model has it (else stale)')
  .optional();

export const searchOrdersInput = z
  .strictObject({
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
    cursor: z.string().max(1024).describe('The previous page’s nextCursor').optional(),
  })
  // placedFrom is inclusive, placedTo exclusive: equal bounds are an empty range, not an error.
  .refine(
    (q) =>
      q.placedFrom === undefined ||
      q.placedTo === undefined ||
      Date.parse(q.placedFrom) <= Date.parse(q.placedTo),
    { message: 'placedFrom must not be after placedTo', path: ['placedTo'] },
  );

/** `restated` (default): refunds restate their completion month; `booked`: refunds count in their own month. */
const view = z
  .enum(REPORT_VIEWS)
  .describe('restated: refunds leave their completion month; booked: they count in their own')
  .default('restated');

export const monthlyReportInput = z.strictObject({
  month,
  currency,
  region: id.optional(),
  view,
  minPosition,
});

export const topProductsInput = rangeChecks(
  z.strictObject({
    from: month,
    to: month,
    currency,
    region: id.optional(),
    view,
    limit: z.number().int().min(1).max(100).default(10),
    minPosition,
  }),
);

/** Per-month totals over a range, for charts: each month is one monthly report. */
export const monthlySeriesInput = rangeChecks(
  z.strictObject({ from: month, to: month, currency, region: id.optional(), view, minPosition }),
);

export const readModelInput = z.strictObject({ readModel: z.enum(['elasticsearch', 'redis']) });

/** Starting a rebuild: `force` swaps in a rebuilt index even when it holds fewer orders. */
export const rebuildInput = z.strictObject({
  readModel: z.enum(['elasticsearch', 'redis']),
  force: z.boolean().optional(),
});

export const commandLookupInput = z.strictObject({ commandId: z.uuid('must be a UUID') });

export const parkedProjectionInput = z.strictObject({
  readModel: z.enum(['elasticsearch', 'redis']),
  orderId: id,
});

export const reconcileInput = z.strictObject({ month });
