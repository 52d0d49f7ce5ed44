// `npm start` (after the stack is up): migrations, every worker and the API in one process.
import { startApi } from '../api/start';
import { config } from '../config/env';
import { logger } from '../config/logger';
import { createPool, migrate } from '../eventstore';
import { installTemporalLogging } from '../temporal/logging';
import { ALL_QUEUES, createWorkers } from '../temporal/worker';

installTemporalLogging();
const pool = createPool(config().DATABASE_URL, config().DATABASE_POOL_SIZE);
await migrate(pool);
const workers = await createWorkers(ALL_QUEUES, { pool });
const running = workers.run();
const api = await startApi((line) => console.log(line));
console.log(`\n  API          ${api.url}/trpc   (health: ${api.url}/healthz)`);
console.log('  Temporal UI  http://127.0.0.1:8233\n');
logger.info({ url: api.url, queues: ALL_QUEUES }, 'app started');

async function stop(): Promise<void> {
  logger.info('stopping');
  await api.stop();
  await workers.shutdown();
  await pool.end();
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop());
await running;
