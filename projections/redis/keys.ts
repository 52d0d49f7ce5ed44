import type { ReportView } from '../report-slot';

// Every Redis key the read side uses, in one place. A prefix keeps tests and apps apart
// when they share a Redis database.

export function orderKey(prefix: string, orderId: string): string {
  return `${prefix}order:${orderId}`;
}

/** Bumped whenever a projection changes the numbers of (month, currency). */
export function reportGenerationKey(prefix: string, month: string, currency: string): string {
  return `${prefix}report-gen:${month}:${currency}`;
}

/** One key per view: both views of a slot share the slot's generation. */
export function monthlyReportKey(
  prefix: string,
  month: string,
  currency: string,
  region: string | null,
  view: ReportView = 'restated',
): string {
  return `${prefix}report:monthly:${view}:${month}:${currency}:${region ?? '*'}`;
}

export const ORDER_KEY_PATTERN = (prefix: string) => `${prefix}order:*`;
