// How the read procedures call the read models: one error mapping, one retention rule,
// one read-your-writes wait.
import { errors } from '@elastic/elasticsearch';
import { TRPCError } from '@trpc/server';
import type pg from 'pg';
import { config } from '../config/env';
import { InexactSumError, InvalidCursorError, responseErrorOf } from '../projections/elasticsearch';
import { logger } from '../runtime/logger';
import type { ReadModelDeps } from './order-queries';
import { waitForPosition } from './read-your-writes';
import { refuseUnreportable } from './reportable-months';

/** Elasticsearch down, overloaded or failing: worth retrying later. */
function isUnavailable(err: unknown): boolean {
  if (err instanceof errors.ConnectionError || err instanceof errors.TimeoutError) return true;
  if (err instanceof errors.NoLivingConnectionsError) return true;
  const status = responseErrorOf(err)?.status ?? 0;
  return (
    status === 429 || status >= 500 || responseErrorOf(err)?.type === 'index_not_found_exception'
  );
}

/**
 * Read-model failures become SERVICE_UNAVAILABLE when retrying later can help; anything
 * else (a query the read model refuses) is our bug, reported as INTERNAL_SERVER_ERROR.
 */
export async function readModelCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof TRPCError) throw err;
    if (err instanceof InvalidCursorError) {
      throw new TRPCError({ code: 'BAD_REQUEST', message: (err as Error).message });
    }
    if (err instanceof InexactSumError) {
      throw new TRPCError({
        code: 'UNPROCESSABLE_CONTENT',
        message: `${what}: ${err.message}; no rounded number is served — \`npm run reconcile\` computes the month exactly from the event store`,
      });
    }
    if (isUnavailable(err)) {
      throw new TRPCError({
        code: 'SERVICE_UNAVAILABLE',
        message: `${what}: the read model is unavailable, try again shortly`,
        cause: err,
      });
    }
    logger.error({ err, what }, 'read model query failed');
    throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: `${what} failed`, cause: err });
  }
}

export interface QueryDeps extends ReadModelDeps {
  pool: pg.Pool;
  /** Read-model retention in months; READ_MODEL_RETENTION_MONTHS when not given. */
  retentionMonths?: number;
}

/** The report queries' one month rule (api/reportable-months.ts), with this API's retention. */
export function refuseUnreportableMonths(
  deps: QueryDeps,
  months: { from: string; to: string },
  range = false,
): void {
  refuseUnreportable(
    { ...months, range },
    deps.retentionMonths ?? config().READ_MODEL_RETENTION_MONTHS,
    deps.reportTimeZone,
  );
}

/** Whether the answer may miss the change at `minPosition` (false when none was asked). */
export async function staleFor(
  deps: QueryDeps,
  minPosition: number | undefined,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  if (minPosition === undefined) return false;
  return !(await readModelCall('read-your-writes wait', () =>
    waitForPosition(deps.pool, 'elasticsearch', minPosition, signal),
  ));
}
