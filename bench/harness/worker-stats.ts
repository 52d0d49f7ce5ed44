// The app's entry with its workers measured: `node --import tsx worker-stats.ts
// scripts/app.ts` (bench/harness/app-process.ts) wraps Worker.create, then runs the app,
// which builds its workers exactly as in production. Over IPC the benchmark asks, since its
// last question, how long each activity ran and waited to start, and what the projectors'
// batches were (from the app's own orders_projector_batch_events histogram, observed
// whether or not metrics are served). BENCH_WORKER_OPTIONS: worker options, for experiments.
// Not a `--import` preload: the SDK's workflow threads inherit those, and cannot load .ts.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type ActivityInterceptorsFactory, Worker, type WorkerOptions } from '@temporalio/worker';
import { metricsRegistry } from '../../runtime/metrics';
import { type Summary, summarize } from './stats';

export interface WorkerStats {
  /** Per activity type: how long it ran, and how long it waited from scheduled to started. */
  activities: Record<string, { run: Summary; scheduleToStart: Summary }>;
  /** Per read model: the projector's batches that found events, and those events. */
  projectorBatches: Record<string, { batches: number; events: number }>;
}

const samples = new Map<string, { run: number[]; wait: number[] }>();

const timing: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      const startedAt = Date.now();
      const begin = performance.now();
      try {
        return await next(input);
      } finally {
        const key = `${ctx.info.activityType}${ctx.info.isLocal ? ' (local)' : ''}`;
        const s = samples.get(key) ?? { run: [], wait: [] };
        samples.set(key, s);
        s.run.push(performance.now() - begin);
        s.wait.push(startedAt - ctx.info.currentAttemptScheduledTimestampMs);
      }
    },
  },
});

/** The projectors' batches so far, per read model. */
async function projectorTotals(): Promise<WorkerStats['projectorBatches']> {
  const metric = await metricsRegistry.getSingleMetric('orders_projector_batch_events')?.get();
  const out: WorkerStats['projectorBatches'] = {};
  type Value = { value: number; labels: Record<string, unknown>; metricName?: string };
  for (const v of (metric?.values ?? []) as Value[]) {
    const model = String(v.labels.read_model);
    const totals = out[model] ?? { batches: 0, events: 0 };
    out[model] = totals;
    if (v.metricName?.endsWith('_count')) totals.batches = v.value;
    if (v.metricName?.endsWith('_sum')) totals.events = v.value;
  }
  return out;
}

const app = process.argv[2];
if (!app || !process.send) throw new Error('started by bench/harness/app-process.ts');
const overrides = JSON.parse(process.env.BENCH_WORKER_OPTIONS ?? '{}') as Partial<WorkerOptions>;
const create = Worker.create.bind(Worker);
Worker.create = (options: WorkerOptions) =>
  create({
    ...options,
    ...overrides,
    interceptors: {
      ...options.interceptors,
      activity: [...(options.interceptors?.activity ?? []), timing],
    },
  });
let lastTotals: WorkerStats['projectorBatches'] = {};
process.on('message', async (message) => {
  if (message !== 'worker-stats') return;
  const activities: WorkerStats['activities'] = {};
  for (const [key, s] of samples)
    activities[key] = { run: summarize(s.run), scheduleToStart: summarize(s.wait) };
  samples.clear();
  const totals = await projectorTotals();
  const projectorBatches = Object.fromEntries(
    Object.entries(totals).map(([model, t]) => {
      const last = lastTotals[model] ?? { batches: 0, events: 0 };
      return [model, { batches: t.batches - last.batches, events: t.events - last.events }];
    }),
  );
  lastTotals = totals;
  process.send?.({ workerStats: { activities, projectorBatches } satisfies WorkerStats });
});
// The channel must not keep the app alive once it stops on its signal.
process.channel?.unref();
// The app reads its own flags (--queues) from argv: it must not see its own path there.
process.argv.splice(2, 1);
await import(pathToFileURL(resolve(app)).href);
