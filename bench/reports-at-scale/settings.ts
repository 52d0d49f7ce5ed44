// Where the reports-at-scale data set lives (apart from app and test data) and how big a run
// is: the full run, or --quick.

// The read side of the data set; bench/command-path/report-data-set.ts reads it too.
export const ES_URL = 'http://127.0.0.1:9200';
export const REDIS_URL = 'redis://:orders@127.0.0.1:6379/2';
export const ES_PREFIX = 'bench-';
export const REDIS_PREFIX = 'bench:';
export const REPORT_TIME_ZONE = 'UTC';
export const SEED = 2025;

export interface Settings {
  mode: 'quick' | 'full';
  orders: number;
  /** Orders per appendBatch call, and calls in flight. */
  appendBatchOrders: number;
  appendConcurrency: number;
  /** The `limit` of rebuildBatch (events per batch), one full rebuild each. */
  rebuildLimits: number[];
  /** A rebuild stops there and reports the part done (marked incomplete). */
  rebuildBudgetMs: number;
  sequential: { runs: number; maxMs: number; minRuns: number };
  windowSeconds: number;
  concurrency: number;
  /** Before each measured phase, wait up to this long for the machine to be idle. */
  quietWaitMs: number;
}

export function settingsFor(quick: boolean): Settings {
  return {
    mode: quick ? 'quick' : 'full',
    orders: quick ? 50_000 : 1_000_000,
    appendBatchOrders: 2_500,
    appendConcurrency: 2,
    // 5,000 is the product's batch (REBUILD_BATCH_SIZE); the others show the trend.
    rebuildLimits: quick ? [5_000, 2_000, 10_000] : [5_000, 2_000],
    rebuildBudgetMs: (quick ? 10 : 12) * 60_000,
    sequential: quick
      ? { runs: 200, maxMs: 5_000, minRuns: 36 }
      : { runs: 500, maxMs: 20_000, minRuns: 72 },
    windowSeconds: quick ? 3 : 10,
    quietWaitMs: quick ? 15_000 : 90_000,
    concurrency: 8,
  };
}
