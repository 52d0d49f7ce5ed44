// The servers and workers the history recorder runs against: the real API and projection
// workers (startTestApp), and a command worker of its own whose activities are the real
// ones with one hook, so a case can make a concurrent command land at a chosen moment.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import {
  type CommandActivities,
  createCommandActivities,
} from '../../activities/command-activities';
import {
  type CommandBatchActivities,
  createCommandBatchActivities,
} from '../../activities/command-batch-activities';
import { createRebuildActivities } from '../../activities/rebuild-activities';
import { config } from '../../config/env';
import { EventStore } from '../../eventstore';
import { temporalConnectionOptions } from '../../temporal/connection-options';
import { taskQueue } from '../../temporal/task-queues';
import { workflowBundle } from '../../temporal/worker';
import { startTestApp, type TestApp } from './app';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface RecordingEnv {
  app: TestApp;
  store: EventStore;
  /**
   * Runs `compete` right after the first loadOrder of command `commandId` returns, before
   * the workflow sees the result: whatever `compete` appends to the stream makes the
   * command's append a version conflict.
   */
  competeAfterFirstLoad(commandId: string, compete: () => Promise<unknown>): void;
  /** Makes the next `count` attempts of a partition's batch fail, as an unreachable store would. */
  failNextBatches(count: number): void;
  /**
   * Workers running `rebuildReadModelWorkflow` as it was before the
   * `rebuild-batch-size-5000` patch, on task queues of their own; returns the
   * workflow task queue.
   */
  startRebuildBeforeBatchSize5000(): Promise<string>;
  stop(): Promise<void>;
}

export async function startRecordingEnv(): Promise<RecordingEnv> {
  // Webhooks to the subscriber cases' receiver on 127.0.0.1, retried after 1 s, once.
  const app = await startTestApp(['projections', 'webhooks'], {
    webhooks: { allowPrivateUrls: true, retrySchedule: [1] },
  });
  const store = new EventStore(app.connections.pool);
  const connection = await NativeConnection.connect(temporalConnectionOptions(config()));
  const competitors = new Map<string, () => Promise<unknown>>();
  const real = createCommandActivities(store);
  const batches = createCommandBatchActivities(store);
  let failuresLeft = 0;
  const activities: CommandActivities & CommandBatchActivities = {
    ...real,
    async decideAndAppendBatch(inputs) {
      if (failuresLeft > 0) {
        failuresLeft--;
        throw new Error('connect ECONNREFUSED (a failure the recorder injected)');
      }
      return batches.decideAndAppendBatch(inputs);
    },
    async loadOrder(input) {
      const loaded = await real.loadOrder(input);
      const compete = competitors.get(input.commandId);
      if (compete) {
        competitors.delete(input.commandId);
        await compete();
      }
      return loaded;
    },
  };
  const workers: Worker[] = [
    await Worker.create({
      connection,
      namespace: config().TEMPORAL_NAMESPACE,
      taskQueue: taskQueue('commands'),
      workflowBundle: await workflowBundle(),
      activities,
    }),
  ];
  const running: Promise<void>[] = [workers[0]?.run() ?? Promise.resolve()];

  return {
    app,
    store,
    competeAfterFirstLoad(commandId, compete) {
      competitors.set(commandId, compete);
    },
    failNextBatches(count) {
      failuresLeft = count;
    },
    async startRebuildBeforeBatchSize5000() {
      const queue = `${config().TASK_QUEUE_PREFIX || 'record'}-before-batch-size-5000-commands`;
      const { ES_INDEX_PREFIX, REDIS_KEY_PREFIX, REPORT_TIMEZONE } = config();
      const rebuildActivities = createRebuildActivities({
        store,
        pool: app.connections.pool,
        es: app.connections.es,
        redis: app.connections.redis,
        esPrefix: ES_INDEX_PREFIX,
        redisPrefix: REDIS_KEY_PREFIX,
        reportTimeZone: REPORT_TIMEZONE,
        parkProjection: () => Promise.reject(new Error('nothing is refused here')),
      });
      const started = [
        await Worker.create({
          connection,
          namespace: config().TEMPORAL_NAMESPACE,
          taskQueue: queue,
          workflowBundle: await bundleRebuildBeforeBatchSize5000(),
        }),
        // The workflow sends its activities to its own queue name with -projections.
        await Worker.create({
          connection,
          namespace: config().TEMPORAL_NAMESPACE,
          taskQueue: queue.replace(/commands$/, 'projections'),
          activities: rebuildActivities,
        }),
      ];
      workers.push(...started);
      running.push(...started.map((w) => w.run()));
      return queue;
    },
    async stop() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await Promise.all(running);
      await connection.close();
      await app.stop();
    },
  };
}

/**
 * The rebuild workflow from the commit before the one that introduced the
 * `rebuild-batch-size-5000` patch, bundled from a temporary folder: the product's
 * workflow code stays as it is.
 */
async function bundleRebuildBeforeBatchSize5000() {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: REPO, encoding: 'utf8' });
  const introducing = git(
    'log',
    '--reverse',
    '--format=%H',
    '-S',
    'rebuild-batch-size-5000',
    '--',
    'workflows/rebuild-read-model.ts',
  ).split('\n')[0];
  if (!introducing) throw new Error('no commit introduces the rebuild-batch-size-5000 patch');
  const source = git('show', `${introducing}^:workflows/rebuild-read-model.ts`);
  if (source.includes('patched(')) throw new Error(`${introducing}^ already has a patch`);
  const dir = await mkdtemp(join(tmpdir(), 'rebuild-before-batch-size-5000-'));
  try {
    // Its imports outside this file are type-only, erased by the bundler.
    await writeFile(join(dir, 'rebuild-read-model.ts'), source);
    const index = join(dir, 'index.ts');
    await writeFile(index, `export { rebuildReadModelWorkflow } from './rebuild-read-model';\n`);
    return await bundleWorkflowCode({
      workflowsPath: index,
      logger: {
        log: () => undefined,
        trace: () => undefined,
        debug: () => undefined,
        info: () => undefined,
        warn: (message) => console.warn(message),
        error: (message) => console.error(message),
      },
      // @temporalio/workflow is resolved from this repository's node_modules.
      webpackConfigHook: (webpack) => ({
        ...webpack,
        resolve: {
          ...webpack.resolve,
          modules: [...(webpack.resolve?.modules ?? ['node_modules']), join(REPO, 'node_modules')],
        },
      }),
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
