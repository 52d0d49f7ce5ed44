// `npm run migrate`: applies the event store's SQL migrations to DATABASE_URL.
import { config } from '../config/env';
import { logger } from '../config/logger';
import { createPool, migrate } from '../eventstore';

const pool = createPool(config().DATABASE_URL, 1);
try {
  const { applied, current } = await migrate(pool);
  logger.info({ applied, schemaVersion: current }, 'migrations applied');
} catch (err) {
  logger.error({ err }, 'migration failed');
  process.exitCode = 1;
} finally {
  await pool.end();
}
