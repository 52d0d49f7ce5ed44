import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { config } from '../config/env';

/**
 * Every metric of the process, in one registry: `npm start` serves the API's and the
 * workers' series together, `npm run api` / `npm run worker` each their own part, under the
 * same names. The Temporal SDK's own metrics are served by its runtime, on another port.
 */
export const metricsRegistry = new Registry();
// The runtime's series sample the event loop on a timer: not when nobody can read them.
if (config().METRICS_ENABLED) collectDefaultMetrics({ register: metricsRegistry });

const registers = [metricsRegistry];
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30];

// --- API -------------------------------------------------------------------------------

export const apiRequests = new Counter({
  name: 'orders_api_requests_total',
  help: 'tRPC calls by procedure and outcome code (OK or the tRPC error code)',
  labelNames: ['procedure', 'code'] as const,
  registers,
});

export const apiRequestDuration = new Histogram({
  name: 'orders_api_request_duration_seconds',
  help: 'tRPC call latency by procedure and outcome code',
  labelNames: ['procedure', 'code'] as const,
  buckets: LATENCY_BUCKETS,
  registers,
});

export const apiInflight = new Gauge({
  name: 'orders_api_requests_in_flight',
  help: 'tRPC calls being served now',
  registers,
});

export const apiRateLimited = new Counter({
  name: 'orders_api_rate_limited_total',
  help: 'calls refused with 429 because their token had API_MAX_INFLIGHT_PER_TOKEN calls in flight',
  registers,
});

export const apiAuthRefusals = new Counter({
  name: 'orders_api_auth_refusals_total',
  help: 'calls refused for their credential, by the check that failed (data.reason: TokenExpired, ProviderUnavailable, …)',
  labelNames: ['reason'] as const,
  registers,
});

export const commands = new Counter({
  name: 'orders_commands_total',
  help: 'commands by type and outcome (committed, or the tRPC error code they answered)',
  labelNames: ['type', 'outcome'] as const,
  registers,
});

export const commandDuration = new Histogram({
  name: 'orders_command_duration_seconds',
  help: 'time from receiving a command to its answer, by type',
  labelNames: ['type'] as const,
  buckets: LATENCY_BUCKETS,
  registers,
});

export const commandUpdateSize = new Histogram({
  name: 'orders_command_update_commands',
  help: 'commands carried by each update an API process sent to a command partition',
  buckets: [1, 2, 5, 10, 20, 50, 100],
  registers,
});

export const commandsUnprocessable = new Counter({
  name: 'orders_commands_unprocessable_total',
  help: 'commands a partition refused because no retry could process them, by reason (unknown_event, store_refused, internal)',
  labelNames: ['reason'] as const,
  registers,
});

export const auditWriteFailures = new Counter({
  name: 'orders_audit_write_failures_total',
  help: 'admin actions done whose audit record could not be written (logged instead), by source (api, schedules)',
  labelNames: ['source'] as const,
  registers,
});

// --- Projectors (workers serving the projections queue) ----------------------------------

export const projectorBatchEvents = new Histogram({
  name: 'orders_projector_batch_events',
  help: 'events per projector batch that found events, by read model',
  labelNames: ['read_model'] as const,
  buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
  registers,
});

export const projectorBatchDuration = new Histogram({
  name: 'orders_projector_batch_duration_seconds',
  help: 'time to read, write and checkpoint one projector batch that found events',
  labelNames: ['read_model'] as const,
  buckets: LATENCY_BUCKETS,
  registers,
});

export const projectorBatchFailures = new Counter({
  name: 'orders_projector_batch_failures_total',
  help: 'projector batches that failed (and will be retried), by read model',
  labelNames: ['read_model'] as const,
  registers,
});

export const projectorCheckpoint = new Gauge({
  name: 'orders_projector_checkpoint_position',
  help: 'highest global position the projector has written, by read model (a high-water mark: it never goes down, though readers take events in (transaction id, position) order)',
  labelNames: ['read_model'] as const,
  registers,
});

// --- Webhook subscriptions (workers serving the webhooks queue) ----------------------------

export const subscriptionDeliveries = new Counter({
  name: 'orders_subscription_deliveries_total',
  help: 'webhook delivery attempts by outcome (delivered, failed, gone, refused)',
  labelNames: ['outcome'] as const,
  registers,
});

export const subscriptionDeliveryDuration = new Histogram({
  name: 'orders_subscription_delivery_duration_seconds',
  help: 'time from sending a webhook to its answer (or failure)',
  buckets: LATENCY_BUCKETS,
  registers,
});

// --- Reports and rebuilds -----------------------------------------------------------------

export const exportRuns = new Counter({
  name: 'orders_export_runs_total',
  help: 'Parquet exports of a month run, by outcome (ok, error; refused: a number beyond INT64)',
  labelNames: ['outcome'] as const,
  registers,
});

export const exportRows = new Counter({
  name: 'orders_export_rows_total',
  help: 'rows written to Parquet by exports that were published, by dataset',
  labelNames: ['dataset'] as const,
  registers,
});

export const rollupRuns = new Counter({
  name: 'orders_rollup_runs_total',
  help: 'month rollups run, by outcome (ok, error)',
  labelNames: ['outcome'] as const,
  registers,
});

export const rollupRefusedSlots = new Gauge({
  name: 'orders_rollup_refused_slots',
  help: 'report slots (per view) the last rollup of the month in this worker refused: their sums pass 2^53 minor units, beyond what the read model adds exactly',
  labelNames: ['month'] as const,
  registers,
});

export const reconciliationRuns = new Counter({
  name: 'orders_reconciliation_runs_total',
  help: 'reconciliation runs, by outcome (ok, error)',
  labelNames: ['outcome'] as const,
  registers,
});

export const reconciliationDifferences = new Counter({
  name: 'orders_reconciliation_differences_total',
  help: 'differences reconciliation runs found between the event store and the read side',
  registers,
});

export const rebuildEvents = new Counter({
  name: 'orders_rebuild_events_total',
  help: 'events a read-model rebuild has read, by read model',
  labelNames: ['read_model'] as const,
  registers,
});

export const rebuildPosition = new Gauge({
  name: 'orders_rebuild_position',
  help: 'highest global position the running (or last) rebuild has written, by read model (a high-water mark, as orders_projector_checkpoint_position)',
  labelNames: ['read_model'] as const,
  registers,
});

/**
 * A position gauge that only rises: readers take events in (transaction id, position)
 * order, in which positions can fall, so it shows the highest position written (since the
 * process started, or since `reset`, for a new rebuild).
 */
export function highWaterMark(gauge: Gauge<'read_model'>) {
  const marks = new Map<string, number>();
  return {
    raise(readModel: string, position: number): void {
      const mark = Math.max(marks.get(readModel) ?? position, position);
      marks.set(readModel, mark);
      gauge.set({ read_model: readModel }, mark);
    },
    reset(readModel: string): void {
      marks.delete(readModel);
      gauge.set({ read_model: readModel }, 0);
    },
  };
}

/** Runs `work` and counts its run under outcome ok or error. */
export async function countRun<T>(counter: Counter<'outcome'>, work: () => Promise<T>): Promise<T> {
  try {
    const result = await work();
    counter.inc({ outcome: 'ok' });
    return result;
  } catch (err) {
    counter.inc({ outcome: 'error' });
    throw err;
  }
}
