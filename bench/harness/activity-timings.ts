// Loaded into the app's process by bench/harness/app-process.ts (`node --import`), never by
// the app: times every activity its workers run (run time, and scheduled → started) and
// answers the benchmark over IPC. The app builds its workers exactly as in production; only
// Worker.create, which it calls, is wrapped (BENCH_WORKER_OPTIONS: overrides for experiments).
import { type ActivityInterceptorsFactory, Worker, type WorkerOptions } from '@temporalio/worker';
import { type Summary, summarize } from './stats';

/** Per activity type: how long it ran, and how long it waited from scheduled to started. */
export type ActivityTimings = Record<string, { run: Summary; scheduleToStart: Summary }>;

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

if (process.send) {
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
  process.on('message', (message) => {
    if (message !== 'activity-timings') return;
    const timings: ActivityTimings = {};
    for (const [key, s] of samples)
      timings[key] = { run: summarize(s.run), scheduleToStart: summarize(s.wait) };
    samples.clear();
    process.send?.({ activityTimings: timings });
  });
  // The channel must not keep the app alive once it stops on its signal.
  process.channel?.unref();
}
