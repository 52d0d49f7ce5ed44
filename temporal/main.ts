// `npm run worker [-- --queues commands,projections]`: Temporal workers for the given queues.
import { parseArgs } from 'node:util';
import { config } from '../config/env';
import { exitOnUncaughtErrors } from '../runtime/lifecycle';
import { logger } from '../runtime/logger';
import { startMetricsServer } from '../runtime/metrics-server';
import { installTracing } from '../runtime/tracing';
import { bootWorkers } from './bootstrap';
import { ALL_QUEUES, type QueueName } from './worker';

exitOnUncaughtErrors();
// Before any client or worker exists: they pick their interceptors from it.
const tracing = installTracing();
const { values } = parseArgs({
  options: { queues: { type: 'string', default: ALL_QUEUES.join(',') } },
});
const queues = (values.queues ?? '').split(',').map((q) => q.trim());
const unknown = queues.filter((q) => !(ALL_QUEUES as string[]).includes(q));
if (unknown.length > 0) {
  console.error(`unknown queue(s): ${unknown.join(', ')}; choose from ${ALL_QUEUES.join(', ')}`);
  process.exit(2);
}

const { connections, workers } = await bootWorkers(queues as QueueName[]);
const metrics = await startMetricsServer(config().WORKER_METRICS_PORT, config().METRICS_HOST);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void workers.shutdown());
logger.info({ queues, metrics: metrics.url }, 'worker started');
await workers.run();
await metrics.close();
await connections.close();
await tracing?.shutdown();
logger.info('worker stopped');
