// `npm run worker [-- --queues commands,projections]`: Temporal workers for the given queues.
import { config } from '../config/env';
import { exitOnUncaughtErrors } from '../runtime/lifecycle';
import { logger } from '../runtime/logger';
import { startMetricsServer } from '../runtime/metrics-server';
import { installTracing } from '../runtime/tracing';
import { bootWorkers } from './bootstrap';
import { queuesFromArgs } from './queue-args';

exitOnUncaughtErrors();
// Before any client or worker exists: they pick their interceptors from it.
const tracing = installTracing();
const queues = queuesFromArgs();

const { connections, workers } = await bootWorkers(queues);
const metrics = await startMetricsServer(config().WORKER_METRICS_PORT, config().METRICS_HOST);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void workers.shutdown());
logger.info({ queues, metrics: metrics.url }, 'worker started');
await workers.run();
await metrics.close();
await connections.close();
await tracing?.shutdown();
logger.info('worker stopped');
