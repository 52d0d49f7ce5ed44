import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { Counter, Gauge } from 'prom-client';
import { logger } from '../runtime/logger';
import { metricsRegistry } from '../runtime/metrics';
import { projectionStatus, type ReadModelStatus } from './projection-status';

/** A scrape every few seconds costs one status read (a few counts in Temporal's visibility). */
const STATUS_CACHE_MS = 5_000;
/** A scrape never waits longer than this for the status; it then shows the last one. */
const STATUS_TIMEOUT_MS = 3_000;

type Source = () => Promise<ReadModelStatus[]>;

let source: Source | undefined;
let cached: { at: number; statuses: Promise<ReadModelStatus[]> } | undefined;
let last: ReadModelStatus[] = [];

const statusErrors = new Counter({
  name: 'orders_projection_status_errors_total',
  help: 'scrapes whose projection status could not be read in time (the gauges keep their last values)',
  registers: [metricsRegistry],
});

async function statuses(): Promise<ReadModelStatus[]> {
  if (!source) return [];
  if (!cached || Date.now() - cached.at > STATUS_CACHE_MS) {
    const read = source();
    read.catch(() => undefined);
    cached = { at: Date.now(), statuses: read };
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    last = await Promise.race([
      cached.statuses,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('no answer in time')), STATUS_TIMEOUT_MS);
      }),
    ]);
  } catch (err) {
    statusErrors.inc();
    cached = undefined;
    logger.warn({ err: (err as Error).message }, 'projection status for metrics unavailable');
  } finally {
    clearTimeout(timer);
  }
  return last;
}

function statusGauge(name: string, help: string, value: (s: ReadModelStatus) => number): void {
  new Gauge({
    name,
    help,
    labelNames: ['read_model'] as const,
    registers: [metricsRegistry],
    async collect() {
      this.reset();
      for (const s of await statuses()) this.set({ read_model: s.readModel }, value(s));
    },
  });
}

statusGauge(
  'orders_projection_lag_events',
  'events committed but not yet projected, by read model (counted up to 100,000)',
  (s) => s.lagEvents,
);
statusGauge(
  'orders_projection_lag_seconds',
  'age of the oldest committed event not yet projected, by read model (0 when caught up)',
  (s) => s.lagSeconds,
);
statusGauge(
  'orders_projection_retrying',
  'workflows flagged as retrying a batch of this read model',
  (s) => s.retrying,
);
statusGauge(
  'orders_projection_parked',
  'orders this read model refused for good, parked for an operator',
  (s) => s.failed,
);
statusGauge(
  'orders_projection_checkpoint_age_seconds',
  'seconds since the projector last moved its checkpoint (-1: it has not projected yet)',
  (s) =>
    s.checkpointAt === null
      ? -1
      : Math.max(0, Math.round((Date.now() - new Date(s.checkpointAt).getTime()) / 1000)),
);

/**
 * Exports the projections' lag and flags from the process that runs the projectors. Returns
 * the way to stop (a later registration replaces an earlier one).
 */
export function exportProjectionStatus(client: Client, pool: pg.Pool): () => void {
  const mine: Source = () => projectionStatus(client, pool);
  source = mine;
  cached = undefined;
  return () => {
    if (source !== mine) return;
    source = undefined;
    cached = undefined;
    last = [];
  };
}
