// `npm start` (after the stack is up): migrations, every worker and the API in one process.
import { startApi } from '../api/start';
import { logger } from '../config/logger';
import { bootWorkers } from '../temporal/bootstrap';
import { ALL_QUEUES } from '../temporal/worker';

const { connections, workers } = await bootWorkers(ALL_QUEUES);
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
