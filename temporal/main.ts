// `npm run worker [-- --queues commands,projections]`: Temporal workers for the given queues.
import { parseArgs } from 'node:util';
import { openConnections } from '../config/connections';
import { config } from '../config/env';
import { logger } from '../config/logger';
import { migrate } from '../eventstore';
import { installTemporalLogging } from './logging';
import { applySchedules } from './schedules';
import { ALL_QUEUES, createWorkers, type QueueName } from './worker';

const { values } = parseArgs({
  options: { queues: { type: 'string', default: ALL_QUEUES.join(',') } },
});
const queues = (values.queues ?? '').split(',').map((q) => q.trim());
const unknown = queues.filter((q) => !(ALL_QUEUES as string[]).includes(q));
if (unknown.length > 0) {
  console.error(`unknown queue(s): ${unknown.join(', ')}; choose from ${ALL_QUEUES.join(', ')}`);
  process.exit(2);
}

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
const workers = await createWorkers(queues as QueueName[], connections);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void workers.shutdown());
logger.info({ queues }, 'worker started');
await workers.run();
await connections.close();
logger.info('worker stopped');
