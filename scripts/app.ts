// `npm start [-- --queues commands,projections]` (after the stack is up): the API, then the
// workers of every queue (or those given), in one process.
import { startApi } from '../api/start';
import { config } from '../config/env';
import { exitOnUncaughtErrors, stopOnSignals } from '../runtime/lifecycle';
import { logger } from '../runtime/logger';
import { installTracing } from '../runtime/tracing';
import { bootWorkersWhenReachable } from '../temporal/bootstrap';
import { openConnections } from '../temporal/connections';
import { queuesFromArgs } from '../temporal/queue-args';

exitOnUncaughtErrors();
const queues = queuesFromArgs();
// Before any client or worker exists: they pick their interceptors from it.
const tracing = installTracing();

// The API first: it answers (reads, /healthz, commands 503) whatever is still coming up.
const connections = await openConnections();
const api = await startApi((line) => console.log(line), connections).catch((err: unknown) => {
  // A refusal (no API_TOKENS in production) is a sentence for the operator, not a stack trace.
  console.error(`api not started: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
const workers = bootWorkersWhenReachable(queues, connections);
console.log(`\n  Workspace    ${api.url}/   (sign in with a token printed above)`);
console.log(`  API          ${api.url}/trpc   (health: ${api.url}/healthz)`);
console.log(
  api.metricsUrl
    ? `  Metrics      ${api.metricsUrl}   (Temporal SDK: port ${config().TEMPORAL_METRICS_PORT})`
    : '  Metrics      off (METRICS_ENABLED=false)',
);
console.log('  Temporal UI  http://127.0.0.1:8233\n');
logger.info({ url: api.url, queues }, 'app started');

stopOnSignals(async () => {
  await api.stop();
  await workers.shutdown();
  await connections.close();
  await tracing?.shutdown();
}, config().API_SHUTDOWN_GRACE_MS + 30_000);
