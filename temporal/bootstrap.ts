import { config } from '../config/env';
import type { QueueKind } from '../contracts/task-queues';
import { AuditLog, checkRestoredEvents, migrate, restoredEventsMessage } from '../eventstore';
import { logger } from '../runtime/logger';
import { type Connections, openConnections } from '../temporal/connections';
import { installTemporalLogging } from './logging';
import { applySchedulesAudited } from './schedules';
import { createWorkers, type RunningWorkers } from './worker';

/**
 * Event store migrations, a check for events restored from another cluster, then the
 * schedules (unless APPLY_SCHEDULES=false).
 */
async function prepare(connections: Connections): Promise<void> {
  await migrate(connections.pool);
  // Said loudly at start rather than found out from an empty rebuild: the workers still
  // run (commands work), but no reader sees the restored events until the step is run.
  const restore = await checkRestoredEvents(connections.pool);
  if (restore.restored) logger.error(restore, restoredEventsMessage(restore));
  if (config().APPLY_SCHEDULES) {
    const applied = await applySchedulesAudited(
      connections.temporal,
      {
        timeZone: config().REPORT_TIMEZONE,
        retentionMonths: config().READ_MODEL_RETENTION_MONTHS,
      },
      new AuditLog(connections.pool),
      'system:worker-start',
    );
    logger.info({ applied }, 'schedules applied');
  }
}

/**
 * What every process that runs workers does first: SDK logging, connections, event store
 * migrations, the schedules, then the workers. Fails if a server is unreachable.
 */
export async function bootWorkers(
  queues: QueueKind[],
): Promise<{ connections: Connections; workers: RunningWorkers }> {
  installTemporalLogging();
  const connections = await openConnections();
  await prepare(connections);
  return { connections, workers: await createWorkers(queues, connections) };
}

const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 15_000;

/**
 * The workers of `npm start`, each queue on its own, started as soon as its servers answer
 * and retried until then: the commands keep working while Elasticsearch is away (the
 * projections worker waits for it), and the API next to them never waits for either.
 */
export function bootWorkersWhenReachable(
  queues: QueueKind[],
  connections: Connections,
): { shutdown(): Promise<void> } {
  installTemporalLogging();
  const stopping = new AbortController();
  const running: RunningWorkers[] = [];
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      stopping.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  let prepared: Promise<void> | undefined;
  const boot = async (queue: QueueKind) => {
    for (let attempt = 0; !stopping.signal.aborted; attempt++) {
      try {
        prepared ??= prepare(connections).catch((err: unknown) => {
          prepared = undefined;
          throw err;
        });
        await prepared;
        const workers = await createWorkers([queue], connections);
        running.push(workers);
        const done = workers.run();
        if (stopping.signal.aborted) await workers.shutdown();
        logger.info({ queue }, 'worker started');
        await done;
        return;
      } catch (err) {
        const retryInMs = Math.min(RETRY_FIRST_MS * 2 ** attempt, RETRY_MAX_MS);
        logger.warn(
          { queue, err: (err as Error).message, retryInMs },
          'worker cannot start yet; retrying',
        );
        await pause(retryInMs);
      }
    }
  };
  const booting = Promise.all(queues.map(boot));
  return {
    async shutdown() {
      stopping.abort();
      await Promise.all(running.map((w) => w.shutdown()));
      await booting;
    },
  };
}
