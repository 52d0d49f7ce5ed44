// `npm run api`: the HTTP API alone (workers run elsewhere: `npm run worker`).
import { config } from '../config/env';
import { exitOnUncaughtErrors, stopOnSignals } from '../runtime/lifecycle';
import { logger } from '../runtime/logger';
import { installTracing } from '../runtime/tracing';
import { startApi } from './start';

exitOnUncaughtErrors();
// Before any client exists: the Temporal client picks its interceptors from it.
const tracing = installTracing();

const api = await startApi((line) => console.log(line)).catch((err: unknown) => {
  // A refusal (no API_TOKENS in production, a bad setting) is a sentence for the operator,
  // not a stack trace.
  const message = err instanceof Error ? err.message : String(err);
  logger.fatal({ reason: message }, 'api not started');
  console.error(`api not started: ${message}`);
  process.exit(1);
});
logger.info({ url: api.url, port: config().API_PORT, metrics: api.metricsUrl }, 'api listening');
stopOnSignals(async () => {
  await api.stop();
  await tracing?.shutdown();
}, config().API_SHUTDOWN_GRACE_MS + 10_000);
