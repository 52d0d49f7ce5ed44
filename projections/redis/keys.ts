import type { ReportView } from '../report-slot';

// Every Redis key the read side uses, in one place. A prefix keeps tests and apps apart
// when they share a Redis database.
//
// `{month:currency}` is a Redis Cluster hash tag: a slot's generation and its cached
// reports hash to one slot, so the script and the MGET that combine them run on a cluster.
const slotTag = (month: string, currency: string) => `{${month}:${currency}}`;

export function orderKey(prefix: string, orderId: string): string {
  return `${prefix}order:${orderId}`;
}

/** Bumped whenever a projection changes the numbers of (month, currency). */
export function reportGenerationKey(prefix: string, month: string, currency: string): string {
  return `${prefix}report-gen:${slotTag(month, currency)}`;
}

/** One key per view: both views of a slot share the slot's generation. */
export function monthlyReportKey(
  prefix: string,
  month: string,
  currency: string,
  region: string | null,
  view: ReportView = 'restated',
): string {
  return `${prefix}report:monthly:${view}:${slotTag(month, currency)}:${region ?? '*'}`;
}

export const ORDER_KEY_PATTERN = (prefix: string) => `${prefix}order:*`;
