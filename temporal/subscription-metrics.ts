import type pg from 'pg';
import { Gauge } from 'prom-client';
import { DISABLED_BY_OPERATOR, ProjectionCheckpoints, Subscriptions } from '../eventstore';
import { logger } from '../runtime/logger';
import { metricsRegistry } from '../runtime/metrics';

// Each subscription's state and lag, read from the event store when scraped (the rows say
// where every subscriber stands, whichever worker runs it), by the process that serves the
// webhooks queue.

/** A scrape never waits longer than this; it then shows the last numbers. */
const READ_TIMEOUT_MS = 3_000;
/** The three gauges of one scrape share one read. */
const FRESH_FOR_MS = 1_000;

export type SubscriptionMetricState = 'active' | 'failing' | 'disabled' | 'paused';

interface Row {
  id: string;
  state: SubscriptionMetricState;
  lagEvents: number;
  lagSeconds: number;
}

let source: (() => Promise<Row[]>) | undefined;
let last: Row[] = [];
let readAt = 0;
let reading: Promise<Row[]> | undefined;

async function rows(): Promise<Row[]> {
  if (!source) return [];
  if (Date.now() - readAt < FRESH_FOR_MS) return last;
  const read = source;
  reading ??= (async () => {
    let timer: NodeJS.Timeout | undefined;
    try {
      last = await Promise.race([
        read(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('no answer in time')), READ_TIMEOUT_MS);
        }),
      ]);
      readAt = Date.now();
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'subscription metrics unavailable');
    } finally {
      clearTimeout(timer);
      reading = undefined;
    }
    return last;
  })();
  return reading;
}

const STATES: SubscriptionMetricState[] = ['active', 'failing', 'disabled', 'paused'];

new Gauge({
  name: 'orders_subscription_state',
  help: '1 for the state each subscription is in, by subscription id: active, failing (retrying its endpoint), disabled (by 410 or its retries spent), paused (disabled by an operator)',
  labelNames: ['subscription', 'state'] as const,
  registers: [metricsRegistry],
  async collect() {
    const found = await rows();
    this.reset();
    for (const r of found) {
      for (const state of STATES)
        this.set({ subscription: r.id, state }, r.state === state ? 1 : 0);
    }
  },
});

new Gauge({
  name: 'orders_subscription_lag_events',
  help: 'events of the global order a subscription has not acknowledged yet (any type; counted up to 100,000), by subscription id',
  labelNames: ['subscription'] as const,
  registers: [metricsRegistry],
  async collect() {
    const found = await rows();
    this.reset();
    for (const r of found) this.set({ subscription: r.id }, r.lagEvents);
  },
});

new Gauge({
  name: 'orders_subscription_lag_seconds',
  help: 'age of the oldest event a subscription has not acknowledged yet (0 when caught up), by subscription id',
  labelNames: ['subscription'] as const,
  registers: [metricsRegistry],
  async collect() {
    const found = await rows();
    this.reset();
    for (const r of found) this.set({ subscription: r.id }, r.lagSeconds);
  },
});

async function read(pool: pg.Pool): Promise<Row[]> {
  const checkpoints = new ProjectionCheckpoints(pool);
  const all = await new Subscriptions(pool).list();
  return Promise.all(
    all.map(async (s) => {
      const lag = await checkpoints.lag(s.checkpoint);
      const state: SubscriptionMetricState = !s.enabled
        ? s.disabledReason === DISABLED_BY_OPERATOR
          ? 'paused'
          : 'disabled'
        : s.consecutiveFailures > 0
          ? 'failing'
          : 'active';
      return {
        id: s.id,
        state,
        lagEvents: lag.events,
        lagSeconds: lag.oldestRecordedAt
          ? Math.max(0, (Date.now() - Date.parse(lag.oldestRecordedAt)) / 1000)
          : 0,
      };
    }),
  );
}

/** Exports the subscriptions' state and lag from this process. Returns the way to stop. */
export function exportSubscriptions(pool: pg.Pool): () => void {
  const mine = () => read(pool);
  source = mine;
  readAt = 0;
  return () => {
    if (source !== mine) return;
    source = undefined;
    last = [];
  };
}
