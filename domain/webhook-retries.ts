// When a failed delivery is tried again: the schedule's step for this failure, with jitter
// so endpoints that failed together are not retried in lockstep; `Retry-After` overrides it
// within the schedule's longest step (or an hour). Pure: the randomness is passed in.

/** Seconds before each retry: seconds, then minutes, then hours; about 24 h in all. */
export const DEFAULT_RETRY_SCHEDULE_SECONDS = [
  5, 30, 120, 300, 1_800, 3_600, 7_200, 14_400, 28_800, 28_800,
] as const;

/** Retry-After is honoured up to at least this many seconds. */
const RETRY_AFTER_AT_LEAST_HONOURED_S = 3_600;

/** ±20 % of each step. */
const JITTER = 0.2;

/**
 * The delay before retry number `failures` (1 = after the first failure), or null when the
 * schedule is spent: the subscription is then disabled, its backlog kept.
 */
export function retryDelayMs(
  failures: number,
  schedule: readonly number[],
  retryAfterMs: number | null,
  random: number,
): number | null {
  const step = schedule[failures - 1];
  if (failures < 1 || step === undefined) return null;
  // An endpoint may ask for a pause up to the schedule's longest step, or an hour when the
  // schedule is shorter (a schedule of seconds must not cut a 5-minute Retry-After).
  const longest = Math.max(...schedule, RETRY_AFTER_AT_LEAST_HONOURED_S) * 1000;
  if (retryAfterMs !== null) return Math.min(Math.max(retryAfterMs, 1_000), longest);
  return Math.round(step * 1000 * (1 - JITTER + 2 * JITTER * random));
}

/** `Retry-After` in ms: delta seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(header: string | null | undefined, nowMs: number): number | null {
  if (!header) return null;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

export type DeliveryVerdict = 'delivered' | 'gone' | 'retry';

/** Only 2xx acknowledges (a redirect is a failure); 410 Gone disables the subscription. */
export function deliveryVerdict(status: number): DeliveryVerdict {
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 410) return 'gone';
  return 'retry';
}

/** Parses `SUBSCRIPTION_RETRY_SCHEDULE_SECONDS`-style text ("5,30,120"). */
export function parseRetrySchedule(text: string): number[] {
  const steps = text.split(',').map((s) => Number(s.trim()));
  if (steps.length === 0 || steps.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new Error('a retry schedule is a comma-separated list of whole seconds ≥ 1');
  }
  return steps;
}
