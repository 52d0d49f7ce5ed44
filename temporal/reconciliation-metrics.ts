import type pg from 'pg';
import { Gauge } from 'prom-client';
import { lastReconciliations, type ReconciliationRecord } from '../eventstore';
import { logger } from '../runtime/logger';
import { metricsRegistry } from '../runtime/metrics';

/** A scrape never waits longer than this for the stored results; it then shows the last ones. */
const READ_TIMEOUT_MS = 3_000;

let source: (() => Promise<ReconciliationRecord[]>) | undefined;
let last: ReconciliationRecord[] = [];

async function records(): Promise<ReconciliationRecord[]> {
  if (!source) return [];
  let timer: NodeJS.Timeout | undefined;
  try {
    last = await Promise.race([
      source(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('no answer in time')), READ_TIMEOUT_MS);
      }),
    ]);
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'reconciliation results for metrics unavailable');
  } finally {
    clearTimeout(timer);
  }
  return last;
}

// Read from the event store when scraped: each reconciliation stores its month's result,
// whichever way it ran (the API, `npm run reconcile` in its own process, the workflow), so
// one month's clean run never hides another's differences, and every process shows the
// same numbers. One series per month ever reconciled.
new Gauge({
  name: 'orders_reconciliation_last_differences',
  help: 'differences the last reconciliation of each month found, by month (every reconcile path; read from the event store when scraped)',
  labelNames: ['month'] as const,
  registers: [metricsRegistry],
  async collect() {
    const found = await records();
    this.reset();
    for (const r of found) this.set({ month: r.month }, r.differences);
  },
});

/**
 * Exports the stored reconciliation results from the process that runs the projections
 * queue (beside the projections' status). Returns the way to stop.
 */
export function exportReconciliations(pool: pg.Pool): () => void {
  const mine = () => lastReconciliations(pool);
  source = mine;
  return () => {
    if (source !== mine) return;
    source = undefined;
    last = [];
  };
}
