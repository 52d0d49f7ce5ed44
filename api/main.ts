// `npm run api`: the HTTP API alone (workers run elsewhere: `npm run worker`).
import { config } from '../config/env';
import { logger } from '../config/logger';
import { startApi } from './start';

const api = await startApi((line) => console.log(line));
logger.info({ url: api.url, port: config().API_PORT }, 'api listening');
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void api.stop());
