// `npm run worker [-- --queues commands,projections]`: Temporal workers for the given queues.
import { parseArgs } from 'node:util';
import { config } from '../config/env';
import { logger } from '../config/logger';
import { createPool, migrate } from '../eventstore';
import { installTemporalLogging } from './logging';
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
const pool = createPool(config().DATABASE_URL, config().DATABASE_POOL_SIZE);
await migrate(pool);
const workers = await createWorkers(queues as QueueName[], { pool });
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void workers.shutdown());
logger.info({ queues }, 'worker started');
await workers.run();
await pool.end();
logger.info('worker stopped');
