import { logger } from './logger';

/**
 * An error nothing caught leaves the process in a state no one planned for: it is logged
 * (inside a request's trace, with its trace id) and the process exits 1, so its supervisor
 * (systemd, Kubernetes, `npm start`'s operator) starts a clean one, rather than serving on
 * half-broken. The HTTP layer answers every error of a request itself; this is for the rest.
 */
let installed = false;

export function exitOnUncaughtErrors(): void {
  if (installed) return;
  installed = true;
  const fatal = (err: unknown, origin: string) => {
    logger.fatal(
      { err, origin },
      'uncaught error: exiting so that a supervisor restarts the process',
    );
    process.exit(1);
  };
  process.on('uncaughtException', (err, origin) => fatal(err, origin));
  process.on('unhandledRejection', (reason) => fatal(reason, 'unhandledRejection'));
}

/**
 * Runs `stop` once on SIGTERM or SIGINT, then exits: 0 when it finished, 1 when it threw or
 * outlasted `hardLimitMs`. Uncaught errors end the process (exitOnUncaughtErrors).
 */
export function stopOnSignals(stop: () => Promise<void>, hardLimitMs: number): void {
  exitOnUncaughtErrors();
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    const limit = setTimeout(() => {
      logger.error({ hardLimitMs }, 'did not stop in time: exiting');
      process.exit(1);
    }, hardLimitMs);
    limit.unref();
    stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'stopping failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
