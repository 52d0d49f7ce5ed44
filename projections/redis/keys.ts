// Every Redis key the read side uses, in one place. A prefix keeps tests and apps apart
// when they share a Redis database.

export function orderKey(prefix: string, orderId: string): string {
  return `${prefix}order:${orderId}`;
}

/** Bumped whenever a projection changes the numbers of (month, currency). */
export function reportGenerationKey(prefix: string, month: string, currency: string): string {
  return `${prefix}report-gen:${month}:${currency}`;
}

export function monthlyReportKey(
  prefix: string,
  month: string,
  currency: string,
  region: string | null,
): string {
  return `${prefix}report:monthly:${month}:${currency}:${region ?? '*'}`;
}

export const ORDER_KEY_PATTERN = (prefix: string) => `${prefix}order:*`;
