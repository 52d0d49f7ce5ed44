// Latency summaries and the small arithmetic every table needs.

export interface Summary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  min: number;
  max: number;
}

/** Rounded to `digits` decimals (NaN stays NaN). */
export const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** Nearest-rank percentile of an ascending array: always a value that was measured. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => round(percentile(sorted, p));
  return {
    count: sorted.length,
    mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
    p50: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    min: round(sorted[0] ?? Number.NaN),
    max: round(sorted[sorted.length - 1] ?? Number.NaN),
  };
}

/** The median of a few numbers (rounds, cells): the mean of the middle two when even. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2
    ? (s[mid] ?? Number.NaN)
    : ((s[mid - 1] ?? Number.NaN) + (s[mid] ?? Number.NaN)) / 2;
}

/** a / b rounded, NaN when b is not a positive number. */
export const ratio = (a: number, b: number, digits = 2): number =>
  b > 0 ? round(a / b, digits) : Number.NaN;

/** Fewest and most of a list. */
export const range = (values: readonly number[]): [number, number] =>
  values.length ? [Math.min(...values), Math.max(...values)] : [Number.NaN, Number.NaN];

/** Counts per key. */
export function tally(keys: Iterable<string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = (out[k] ?? 0) + 1;
  return out;
}
