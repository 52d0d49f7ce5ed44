// `npm start` (after the stack is up): migrations, every worker and the API in one process.
import { startApi } from '../api/start';
import { logger } from '../config/logger';
import { bootWorkers } from '../temporal/bootstrap';
import { ALL_QUEUES } from '../temporal/worker';

const { connections, workers } = await bootWorkers(ALL_QUEUES);
const running = workers.run();
const api = await startApi((line) => console.log(line), connections).catch((err: unknown) => {
  // A refusal (no API_TOKENS in production) is a sentence for the operator, not a stack trace.
  console.error(`api not started: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
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
