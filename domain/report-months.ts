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

/** The month `delta` months from `month` (YYYY-MM). */
export function addMonths(month: string, delta: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const index = y * 12 + (m - 1) + delta;
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** How many months `from` to `to` cover, both included (0 or less when `to` is earlier). */
export function monthSpan(from: string, to: string): number {
  const index = (month: string) => {
    const [y, m] = month.split('-').map(Number) as [number, number];
    return y * 12 + m;
  };
  return index(to) - index(from) + 1;
}

/** Every month from `from` to `to`, inclusive. */
export function monthsBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let m = from; m <= to; m = addMonths(m, 1)) out.push(m);
  return out;
}
