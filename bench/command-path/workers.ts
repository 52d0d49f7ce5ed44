// The workers under test: the app's own createWorkers(ALL_QUEUES) (command workflow and
// projectors) plus a worker for the empty-workflow floor, with optional option overrides
// and per-activity timing.
import { fileURLToPath } from 'node:url';
import {
  type ActivityInterceptorsFactory,
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type WorkerOptions,
} from '@temporalio/worker';
import { config } from '../../config/env';
import { openConnections } from '../../temporal/connections';
import { ALL_QUEUES, createWorkers } from '../../temporal/worker';
import { EMPTY_TASK_QUEUE, type WorkerTuning } from './settings';
import { type LoopDelay, loopDelayMonitor, type Summary, summarize } from './stats';

/** Per activity type: how long it ran, and how long it waited from scheduled to started. */
export type ActivityTimings = Record<string, { run: Summary; scheduleToStart: Summary }>;

export interface WorkerStats {
  activities: ActivityTimings;
  /** Event-loop delay of the process the workers run in. */
  loopDelayMs: LoopDelay;
}

export interface BenchWorkers {
  /** Activity timings and loop delay since the last call. */
  takeTimings(): WorkerStats;
  shutdown(): Promise<void>;
}

const samples = new Map<string, { run: number[]; wait: number[] }>();

const timingInterceptor: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      const startedAt = Date.now();
      const begin = performance.now();
      try {
        return await next(input);
      } finally {
        const key = `${ctx.info.activityType}${ctx.info.isLocal ? ' (local)' : ''}`;
        let s = samples.get(key);
        if (!s) {
          s = { run: [], wait: [] };
          samples.set(key, s);
        }
        s.run.push(performance.now() - begin);
        s.wait.push(startedAt - ctx.info.currentAttemptScheduledTimestampMs);
      }
    },
  },
});

let installed = false;

const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

const bundleOf = (fixture: string) =>
  bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL(`../fixtures/${fixture}`, import.meta.url)),
    logger: silent,
  });

/**
 * createWorkers() takes no worker options, so the bench reaches them by wrapping the static
 * Worker.create the app calls (same module instance): the app's worker construction stays
 * exactly as production runs it (the command workflow, the projectors on the projections
 * queue), plus the overrides and the timing interceptor.
 */
function installWorkerOverrides(tuning: WorkerTuning): void {
  if (installed) return;
  installed = true;
  const create = Worker.create.bind(Worker);
  Worker.create = (options: WorkerOptions) =>
    create({
      ...options,
      ...tuning,
      interceptors: {
        ...options.interceptors,
        activity: [...(options.interceptors?.activity ?? []), timingInterceptor],
      },
    });
}

/**
 * Starts the app's workers (all queues: the command workflow, and the projectors, which
 * createWorkers starts or resumes) and the empty-workflow worker against config()'s server.
 */
export async function startBenchWorkers(tuning: WorkerTuning): Promise<BenchWorkers> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  installWorkerOverrides(tuning);
  const connections = await openConnections();
  const app = await createWorkers(ALL_QUEUES, connections);
  const appRun = app.run();

  const { TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE } = config();
  const connection = await NativeConnection.connect({ address: TEMPORAL_ADDRESS });
  const empty = await Worker.create({
    connection,
    namespace: TEMPORAL_NAMESPACE,
    taskQueue: EMPTY_TASK_QUEUE,
    workflowBundle: await bundleOf('empty-workflow.ts'),
  });
  const emptyRun = empty.run();
  const loop = loopDelayMonitor();
  return {
    takeTimings() {
      const activities: ActivityTimings = {};
      for (const [key, s] of samples)
        activities[key] = { run: summarize(s.run), scheduleToStart: summarize(s.wait) };
      samples.clear();
      return { activities, loopDelayMs: loop.take() };
    },
    async shutdown() {
      empty.shutdown();
      await emptyRun;
      await connection.close();
      await app.shutdown();
      await appRun;
      await connections.close();
    },
  };
}

/** Messages between the bench and its worker child process. */
export type ToChild = { type: 'timings' } | { type: 'stop' };
export type FromChild =
  | { type: 'ready' }
  | { type: 'timings'; timings: WorkerStats }
  | { type: 'stopped' }
  | { type: 'failed'; message: string };
