import { TRPCError } from '@trpc/server';
import { logger } from '../runtime/logger';

/** PostgreSQL cancelled the statement at statement_timeout (SQLSTATE 57014). */
const QUERY_CANCELED = '57014';
/** What node-postgres says when its own query_timeout or connect timeout passes. */
const CLIENT_TIMEOUTS = /Query read timeout|timeout exceeded when trying to connect/;
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01']);

function timedOut(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  return e.code === QUERY_CANCELED || CLIENT_TIMEOUTS.test(String(e.message ?? ''));
}

function unreachable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  return (
    CONNECTION_CODES.has(String(e.code ?? '')) ||
    /Connection terminated/.test(String(e.message ?? ''))
  );
}

/**
 * An API read of the event store that the store could not answer in time (the API's
 * DATABASE_STATEMENT_TIMEOUT_MS) or at all becomes 503 SERVICE_UNAVAILABLE saying so, with
 * `whatToDo` for the slow case, instead of a 500 that says nothing.
 */
export async function withEventStore<T>(
  what: string,
  whatToDo: string,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof TRPCError) throw err;
    if (timedOut(err)) {
      logger.warn({ err, what }, 'event store read timed out');
      throw new TRPCError({
        code: 'SERVICE_UNAVAILABLE',
        message: `${what}: the event store did not answer within the API's statement timeout; ${whatToDo}`,
        cause: err,
      });
    }
    if (unreachable(err)) {
      logger.warn({ err, what }, 'event store unreachable');
      throw new TRPCError({
        code: 'SERVICE_UNAVAILABLE',
        message: `${what}: the event store is unavailable, try again shortly`,
        cause: err,
      });
    }
    throw err;
  }
}
