// `npm start` (after the stack is up): migrations, every worker and the API in one process.
import { startApi } from '../api/start';
import { openConnections } from '../config/connections';
import { config } from '../config/env';
import { logger } from '../config/logger';
import { migrate } from '../eventstore';
import { installTemporalLogging } from '../temporal/logging';
import { applySchedules } from '../temporal/schedules';
import { ALL_QUEUES, createWorkers } from '../temporal/worker';

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
const workers = await createWorkers(ALL_QUEUES, connections);
const running = workers.run();
const api = await startApi((line) => console.log(line), connections);
console.log(`\n  API          ${api.url}/trpc   (health: ${api.url}/healthz)`);
console.log('  Temporal UI  http://127.0.0.1:8233\n');
logger.info({ url: api.url, queues: ALL_QUEUES }, 'app started');

async function stop(): Promise<void> {
  logger.info('stopping');
  await api.stop();
  await workers.shutdown();
  await connections.close();
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop());
await running;
