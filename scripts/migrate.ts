// `npm run migrate`: applies the event store's SQL migrations to DATABASE_URL.
// `npm run migrate -- --after-restore`: then makes events restored from another cluster
// visible to the readers again (docs/runbooks.md, "After restoring the event store").
import { config } from '../config/env';
import { checkRestoredEvents, createPool, migrate, renumberRestoredEvents } from '../eventstore';
import { logger } from '../runtime/logger';

const afterRestore = process.argv.slice(2).includes('--after-restore');
const pool = createPool(config().DATABASE_URL, 1);
try {
  const { applied, current } = await migrate(pool);
  logger.info({ applied, schemaVersion: current }, 'migrations applied');
  if (afterRestore) {
    const { renumbered, checkpointsReset } = await renumberRestoredEvents(pool);
    logger.info(
      { renumbered, checkpointsReset },
      renumbered > 0
        ? 'restored events renumbered: start the workers, then rebuild each read model'
        : 'no event was ahead of this cluster: nothing to renumber',
    );
  } else {
    const check = await checkRestoredEvents(pool);
    if (check.restored) {
      logger.error(
        check,
        'events restored from another cluster are invisible: run npm run migrate -- --after-restore',
      );
    }
  }
} catch (err) {
  logger.error({ err }, 'migration failed');
  process.exitCode = 1;
} finally {
  await pool.end();
}
