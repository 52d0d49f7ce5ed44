// Hook for scenario (e) of bench/reports-at-scale.ts, "served from the rollup".
//
// PLACEHOLDER: to be filled in with the rollup work. Assign `measureRollup` a function
// that, given the benchmark's connections and data set, prepares the rollups of the bench
// data (index prefix `bench-`, Redis prefix `bench:` on db 2, e.g. by rolling up every slot
// in `ctx.slots`) and returns the query to measure: one monthly report served from the
// rollup, like `monthlyReport()` does for a closed month when the cache is cold. The harness
// then measures that query exactly like (a)–(d): sequential median/p99 and sustained
// queries/s at the same concurrency, and adds its row and ratios to the tables and the JSON.
// Leave it `undefined` and (e) is reported as not measured.
import type { Client as EsClient } from '@elastic/elasticsearch';
import type { Redis } from 'ioredis';
import type pg from 'pg';

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

export const measureRollup: MeasureRollup | undefined = undefined;
