// Report months: pure, deterministic, no I/O (safe in workflow code). An order counts in the
// month of its completion as seen in the report time zone.

/** YYYY-MM of an instant in an IANA time zone. */
export function monthIn(instant: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
  }).formatToParts(instant);
  const year = parts.find((p) => p.type === 'year')?.value;
  const month = parts.find((p) => p.type === 'month')?.value;
  return `${year}-${month}`;
}

const monthIndex = (month: string): number => {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return y * 12 + (m - 1);
};
const monthAt = (index: number): string =>
  `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;

/** The month `delta` months from `month` (YYYY-MM). */
export function addMonths(month: string, delta: number): string {
  return monthAt(monthIndex(month) + delta);
}

/**
 * Every month from `from` to `to`, inclusive. Counted as numbers: as strings, the month after
 * 9999-12 ('10000-01') sorts before it, and a loop on strings never ended.
 */
export function monthsBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let i = monthIndex(from); i <= monthIndex(to); i += 1) out.push(monthAt(i));
  return out;
}

/** How many months `from` to `to` cover, both included (0 or less when `to` is earlier). */
export function monthSpan(from: string, to: string): number {
  return monthIndex(to) - monthIndex(from) + 1;
}

/**
 * The first month the read models keep (READ_MODEL_RETENTION_MONTHS back from the current
 * month in the report time zone): earlier months are deleted by the retention schedule,
 * never rolled up, and their reports are refused. One rule for all of those.
 */
export function retentionCutoff(now: Date, timeZone: string, retentionMonths: number): string {
  return addMonths(monthIn(now, timeZone), -retentionMonths);
}

/** Why a report query's months cannot be answered from the read models. */
export type UnreportableMonths =
  | { reason: 'PastRetention'; cutoff: string }
  | { reason: 'FutureMonth'; current: string };

/**
 * The months a report may be asked for: from the retention cutoff to the current month, in
 * the report time zone. Before the cutoff the read models keep nothing; after the current
 * month nothing can have sold yet. Either would answer zeros as if nothing had sold.
 */
export function unreportableMonths(
  q: { from: string; to: string },
  now: Date,
  timeZone: string,
  retentionMonths: number,
): UnreportableMonths | null {
  const cutoff = retentionCutoff(now, timeZone, retentionMonths);
  if (monthSpan(cutoff, q.from) < 1) return { reason: 'PastRetention', cutoff };
  const future = futureMonth(q.to, now, timeZone);
  return future ? { reason: 'FutureMonth', current: future.current } : null;
}

/**
 * Whether `month` comes after the current month in the report time zone: nothing can have
 * happened in it yet. Reports and exports both refuse it (a past month is always there in
 * the event store, whatever the read models keep).
 */
export function futureMonth(
  month: string,
  now: Date,
  timeZone: string,
): { current: string } | null {
  const current = monthIn(now, timeZone);
  return monthSpan(current, month) > 1 ? { current } : null;
}
