// `npm run api`: the HTTP API alone (workers run elsewhere: `npm run worker`).
import { config } from '../config/env';
import { stopOnSignals } from '../config/lifecycle';
import { logger } from '../config/logger';
import { startApi } from './start';

const api = await startApi((line) => console.log(line));
logger.info({ url: api.url, port: config().API_PORT }, 'api listening');
stopOnSignals(() => api.stop(), config().API_SHUTDOWN_GRACE_MS + 10_000);
