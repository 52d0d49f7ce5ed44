import { monthsBetween } from '../domain';
import type { ReadModelDeps } from './order-queries';
import { type MonthlyReport, monthlyReport } from './report-queries';

export interface MonthTotals {
  month: string;
  source: MonthlyReport['source'];
  generatedAt: string;
  totals: MonthlyReport['totals'];
}

/** Months computed at once: each is a cache read, a rollup GET or one aggregation. */
const CONCURRENT_MONTHS = 4;

/**
 * Net sales per month over a range (bounded by the input schema): each month is that
 * month's report, so closed months come from their rollup and every answer goes through
 * the Redis cache like `reports.monthly`, with the same numbers.
 */
export async function monthlySeries(
  deps: ReadModelDeps,
  q: {
    from: string;
    to: string;
    currency: string;
    region: string | null;
    view?: MonthlyReport['view'];
  },
): Promise<MonthTotals[]> {
  const months = monthsBetween(q.from, q.to);
  const out: MonthTotals[] = new Array(months.length);
  let next = 0;
  async function lane(): Promise<void> {
    for (let i = next++; i < months.length; i = next++) {
      const month = months[i] as string;
      const r = await monthlyReport(deps, {
        month,
        currency: q.currency,
        region: q.region,
        view: q.view ?? 'restated',
      });
      out[i] = { month, source: r.source, generatedAt: r.generatedAt, totals: r.totals };
    }
  }
  await Promise.all(Array.from({ length: Math.min(CONCURRENT_MONTHS, months.length) }, lane));
  return out;
}
