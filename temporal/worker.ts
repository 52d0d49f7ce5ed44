import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client as EsClient } from '@elastic/elasticsearch';
import type { Client } from '@temporalio/client';
import {
  bundleWorkflowCode,
  NativeConnection,
  Worker,
  type WorkflowBundle,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import type pg from 'pg';
import { createCommandActivities } from '../activities/command-activities';
import { createCommandBatchActivities } from '../activities/command-batch-activities';
import { createExportActivities } from '../activities/export-activities';
import { createProjectionActivities } from '../activities/projection-activities';
import { createRebuildActivities } from '../activities/rebuild-activities';
import { createReportActivities } from '../activities/report-activities';
import { createSubscriptionActivities } from '../activities/subscription-activities';
import { config } from '../config/env';
import type { QueueKind } from '../contracts/task-queues';
import type { ReadModel } from '../domain';
import { parseRetrySchedule } from '../domain/webhook-retries';
import {
  AppendListener,
  createPool,
  EventStore,
  ProjectionCheckpoints,
  Subscriptions,
} from '../eventstore';
import { ensureOrdersIndex, ensureReportsIndex } from '../projections/elasticsearch';
import type { RedisClient } from '../projections/redis';
import { logger } from '../runtime/logger';
import { tracing } from '../runtime/tracing';
import {
  measuredExportActivities,
  measuredRebuildActivities,
  measuredReportActivities,
} from './activity-metrics';
import { temporalConnectionOptions } from './connection-options';
import { logIdlePoolError } from './connections';
import { exportProjectionStatus } from './projection-metrics';
import { ensureProjectors, parkProjection } from './projectors';
import { exportReconciliations } from './reconciliation-metrics';
import { requestRerollup } from './reports-client';
import { ensureSubscribers, pruneDeliveryAttemptsHourly } from './subscribers';
import { exportSubscriptions } from './subscription-metrics';
import { taskQueue } from './task-queues';
import { tracedWorkerOptions } from './tracing';

const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

let bundle: Promise<WorkflowBundle> | undefined;

function bundleWorkflows(traced: boolean): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    // Traces on: workflow and update spans, sent out through a sink (no I/O in workflows).
    ...(traced
      ? {
          workflowInterceptorModules: [
            createRequire(import.meta.url).resolve(
              '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors',
            ),
          ],
        }
      : {}),
    logger: {
      log: () => undefined,
      trace: () => undefined,
      debug: () => undefined,
      info: () => undefined,
      warn: (message, meta) => logger.warn(meta ?? {}, message),
      error: (message, meta) => logger.error(meta ?? {}, message),
    },
  });
}

/**
 * The workflow code bundled once per process, as production runs it, or the one bundled
 * ahead into WORKFLOW_BUNDLE_PATH (traces off only: that one has no tracing interceptors).
 */
export function workflowBundle(): Promise<WorkflowBundle> {
  const ahead = config().WORKFLOW_BUNDLE_PATH;
  bundle ??=
    ahead && !tracing()
      ? readFile(ahead, 'utf8').then((code) => ({ code }))
      : bundleWorkflows(tracing() !== undefined);
  return bundle;
}

/** Bundles the workflow code (traces off) into `path`, for WORKFLOW_BUNDLE_PATH. */
export async function writeWorkflowBundle(path: string): Promise<void> {
  const { code } = await bundleWorkflows(false);
  await writeFile(path, code);
}

export interface WorkerDeps {
  /** Read side, rebuilds and reports: statements that may legitimately run long. */
  pool: pg.Pool;
  /**
   * The command activities' pool. Their statements are short and their local activity ends
   * after 10 s anyway, so by default they get a pool of their own with the API's statement
   * timeout: a hung server must not hold its connections for the workers' long bound.
   */
  commandPool?: pg.Pool;
  es: EsClient;
  redis: RedisClient;
  temporal: Client;
  /** Webhook delivery settings other than the configuration's (tests). */
  webhooks?: {
    allowPrivateUrls?: boolean;
    retrySchedule?: readonly number[];
    deliveryTimeoutMs?: number;
  };
}

export interface RunningWorkers {
  /** Resolves when every worker has stopped. */
  run(): Promise<void>;
  /** Stops polling, lets running tasks finish, closes the connection. */
  shutdown(): Promise<void>;
}

/**
 * Closes what `open` registers, newest first, each whatever the others do: a connection
 * can only close once no worker holds it.
 */
class Resources {
  private closers: (() => Promise<void> | void)[] = [];

  add(close: () => Promise<void> | void): void {
    this.closers.push(close);
  }

  async close(): Promise<void> {
    for (const close of this.closers.splice(0).reverse()) {
      try {
        await close();
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'closing a worker resource failed');
      }
    }
  }
}

/**
 * One worker per task queue asked for, sharing one connection to Temporal. A start that
 * fails (a server unreachable) closes whatever it had opened before it throws: the boot
 * retries it, and no attempt may leave a connection, listener, pool or worker behind.
 */
export async function createWorkers(
  queues: QueueKind[],
  deps: WorkerDeps,
): Promise<RunningWorkers> {
  const resources = new Resources();
  const workers: Worker[] = [];
  try {
    await openWorkers(queues, deps, workers, resources);
  } catch (err) {
    // A worker that never ran still holds the connection: run it down first.
    await Promise.allSettled(workers.map((w) => w.runUntil(Promise.resolve())));
    await resources.close();
    throw err;
  }
  let running: Promise<void> | undefined;
  const stopAll = () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  };
  return {
    run() {
      running ??= (async () => {
        const runs = workers.map((w) => w.run());
        try {
          await Promise.all(runs);
        } finally {
          // One worker failing stops the others: then everything is closed, as on shutdown.
          stopAll();
          await Promise.allSettled(runs);
          await resources.close();
        }
      })();
      return running;
    },
    async shutdown() {
      stopAll();
      await running;
    },
  };
}

async function openWorkers(
  queues: QueueKind[],
  deps: WorkerDeps,
  workers: Worker[],
  resources: Resources,
): Promise<void> {
  const { TEMPORAL_NAMESPACE } = config();
  if (queues.includes('projections')) {
    // Before any connection is opened: Elasticsearch being down is the common reason to fail.
    const { ES_INDEX_PREFIX, ELASTICSEARCH_REPLICAS } = config();
    await ensureOrdersIndex(deps.es, ES_INDEX_PREFIX, ELASTICSEARCH_REPLICAS);
    await ensureReportsIndex(deps.es, ES_INDEX_PREFIX, ELASTICSEARCH_REPLICAS);
  }
  const connection = await NativeConnection.connect(temporalConnectionOptions(config()));
  resources.add(() => connection.close());
  const store = new EventStore(deps.pool);
  if (queues.includes('commands')) {
    const c = config();
    let commandPool = deps.commandPool;
    if (!commandPool) {
      const own = createPool(c.DATABASE_URL, c.DATABASE_POOL_SIZE, {
        connectTimeoutMs: c.DATABASE_CONNECT_TIMEOUT_MS,
        statementTimeoutMs: c.DATABASE_STATEMENT_TIMEOUT_MS,
        onIdleError: logIdlePoolError,
      });
      resources.add(() => own.end());
      commandPool = own;
    }
    const commandStore = new EventStore(commandPool);
    workers.push(
      await Worker.create({
        connection,
        namespace: TEMPORAL_NAMESPACE,
        taskQueue: taskQueue('commands'),
        workflowBundle: await workflowBundle(),
        ...tracedWorkerOptions(),
        activities: {
          ...createCommandActivities(commandStore),
          ...createCommandBatchActivities(commandStore),
        },
      }),
    );
  }
  if (queues.includes('projections')) {
    const { ES_INDEX_PREFIX, REDIS_KEY_PREFIX, REPORT_TIMEZONE } = config();
    const listener = new AppendListener(config().DATABASE_URL);
    resources.add(() => listener.close());
    const checkpoints = new ProjectionCheckpoints(deps.pool);
    const readModelDeps = {
      store,
      pool: deps.pool,
      checkpoints,
      listener,
      requestRerollup: (month: string) => requestRerollup(deps.temporal, month),
      parkProjection: (readModel: ReadModel, orderId: string, reason: string) =>
        parkProjection(deps.temporal, { readModel, orderId, reason }),
      es: deps.es,
      redis: deps.redis,
      esPrefix: ES_INDEX_PREFIX,
      esReplicas: config().ELASTICSEARCH_REPLICAS,
      redisPrefix: REDIS_KEY_PREFIX,
      reportTimeZone: REPORT_TIMEZONE,
    };
    workers.push(
      await Worker.create({
        connection,
        namespace: TEMPORAL_NAMESPACE,
        taskQueue: taskQueue('projections'),
        workflowBundle: await workflowBundle(),
        ...tracedWorkerOptions(),
        activities: {
          ...createProjectionActivities(readModelDeps),
          ...measuredRebuildActivities(createRebuildActivities(readModelDeps)),
          ...measuredReportActivities(createReportActivities(readModelDeps)),
          ...measuredExportActivities(
            createExportActivities({
              pool: deps.pool,
              exportDir: resolve(config().EXPORT_DIR),
              reportTimeZone: REPORT_TIMEZONE,
            }),
          ),
        },
      }),
    );
    // The read side runs wherever the projections queue is served: nothing else to start.
    await ensureProjectors(deps.temporal, checkpoints);
    resources.add(exportProjectionStatus(deps.temporal, deps.pool));
    resources.add(exportReconciliations(deps.pool));
  }
  if (queues.includes('webhooks')) {
    const c = config();
    const listener = new AppendListener(c.DATABASE_URL);
    resources.add(() => listener.close());
    const subscriptions = new Subscriptions(deps.pool);
    workers.push(
      await Worker.create({
        connection,
        namespace: TEMPORAL_NAMESPACE,
        taskQueue: taskQueue('webhooks'),
        workflowBundle: await workflowBundle(),
        ...tracedWorkerOptions(),
        activities: createSubscriptionActivities({
          store,
          subscriptions,
          listener,
          allowPrivateUrls: deps.webhooks?.allowPrivateUrls ?? c.SUBSCRIPTIONS_ALLOW_PRIVATE_URLS,
          retrySchedule:
            deps.webhooks?.retrySchedule ??
            parseRetrySchedule(c.SUBSCRIPTION_RETRY_SCHEDULE_SECONDS),
          deliveryTimeoutMs: deps.webhooks?.deliveryTimeoutMs ?? c.SUBSCRIPTION_DELIVERY_TIMEOUT_MS,
        }),
      }),
    );
    await ensureSubscribers(deps.temporal, subscriptions);
    resources.add(exportSubscriptions(deps.pool));
    resources.add(pruneDeliveryAttemptsHourly(subscriptions));
  }
}
