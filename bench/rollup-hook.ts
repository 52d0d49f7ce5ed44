// Scenario (e) of bench/reports-at-scale.ts, "served from the rollup": rolls up every slot
// of the data set with the product's own activity (as the monthly schedule would), then
// measures reading one report from the rollup with a cold cache (what `monthlyReport()`
// does for a closed month on a cache miss).
import type { Client as EsClient } from '@elastic/elasticsearch';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { createReportActivities } from '../activities/report-activities';
import { ensureReportsIndex, readRollup } from '../projections/elasticsearch';

export interface RollupBenchContext {
  es: EsClient;
  redis: Redis;
  /** The bench database (orders_bench): event store and baseline tables. */
  pool: pg.Pool;
  /** `bench-`: the orders alias is `${esPrefix}orders`, rebuilt just before. */
  esPrefix: string;
  /** `bench:` (on Redis db 2). */
  redisPrefix: string;
  reportTimeZone: string;
  /** Every (month, currency) of the data set, all-regions; the harness queries these in turn. */
  slots: { month: string; currency: string; region: string | null }[];
  quick: boolean;
}

/** One report served from the rollup; resolves with its number of products. */
export type RollupQuery = (slot: {
  month: string;
  currency: string;
  region: string | null;
}) => Promise<number>;

/** Prepares the rollups; returns the query to measure, or null to skip (e). */
export type MeasureRollup = (ctx: RollupBenchContext) => Promise<RollupQuery | null>;

export const measureRollup: MeasureRollup | undefined = async (ctx) => {
  await ensureReportsIndex(ctx.es, ctx.esPrefix);
  const activities = createReportActivities({ ...ctx, reportTimeZone: ctx.reportTimeZone });
  const allMonths = [...new Set(ctx.slots.map((s) => s.month))];
  // A month's rollup takes tens of seconds (two refresh waits per slot): --quick rolls up
  // two months and asks each question of the rolled-up month at the same index mod 2.
  const months = ctx.quick ? allMonths.slice(0, 2) : allMonths;
  for (const month of months) {
    const started = performance.now();
    const summary = await activities.rollupMonth({ month });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `  rollup ${month}: ${summary.slots} slots, ${summary.products} rows, ${seconds} s`,
    );
  }
  return async (asked) => {
    const month = months[allMonths.indexOf(asked.month) % months.length] ?? asked.month;
    const slot = { ...asked, month };
    const report = await readRollup(ctx.es, ctx.esPrefix, slot);
    if (!report) throw new Error(`no rollup for ${slot.month} ${slot.currency}`);
    return report.products.length;
  };
};
