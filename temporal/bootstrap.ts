import { type Connections, openConnections } from '../config/connections';
import { config } from '../config/env';
import { logger } from '../config/logger';
import { migrate } from '../eventstore';
import { installTemporalLogging } from './logging';
import { applySchedules } from './schedules';
import { createWorkers, type QueueName, type RunningWorkers } from './worker';

/**
 * What every process that runs workers does first: SDK logging, connections, event store
 * migrations, the schedules (unless APPLY_SCHEDULES=false), then the workers.
 */
export async function bootWorkers(
  queues: QueueName[],
): Promise<{ connections: Connections; workers: RunningWorkers }> {
  installTemporalLogging();
  const connections = await openConnections();
  await migrate(connections.pool);
  if (config().APPLY_SCHEDULES) {
    const applied = await applySchedules(connections.temporal, {
      timeZone: config().REPORT_TIMEZONE,
      retentionMonths: config().READ_MODEL_RETENTION_MONTHS,
    });
    logger.info({ applied }, 'schedules applied');
  }
  return { connections, workers: await createWorkers(queues, connections) };
}
