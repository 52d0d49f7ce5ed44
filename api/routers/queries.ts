import { errors } from '@elastic/elasticsearch';
import { TRPCError } from '@trpc/server';
import type pg from 'pg';
import { config } from '../../config/env';
import { currencyDigits } from '../../domain/currency';
import { responseErrorOf } from '../../projections/elasticsearch/es-errors';
import { ordersAlias } from '../../projections/elasticsearch/names';
import { computeTopProducts, InexactSumError } from '../../projections/elasticsearch/reports';
import { InvalidCursorError, searchOrders } from '../../projections/elasticsearch/search-orders';
import { logger } from '../../runtime/logger';
import { getOrder, type ReadModelDeps } from '../order-queries';
import {
  getOrderInput,
  monthlyReportInput,
  monthlySeriesInput,
  searchOrdersInput,
  topProductsInput,
} from '../query-inputs';
import { waitForPosition } from '../read-your-writes';
import { monthlyReport } from '../report-queries';
import { refusePastRetention } from '../report-retention';
import { monthlySeries } from '../report-series';
import { readerProcedure, router } from '../trpc';

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
async function readModelCall<T>(what: string, call: () => Promise<T>): Promise<T> {
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

/** The report queries' one retention rule (api/report-retention.ts), with this API's limit. */
function refuseExpired(deps: QueryDeps, from: string, range = false): void {
  refusePastRetention(
    { from, range },
    deps.retentionMonths ?? config().READ_MODEL_RETENTION_MONTHS,
    deps.reportTimeZone,
  );
}

/** Whether the answer may miss the change at `minPosition` (false when none was asked). */
async function staleFor(
  deps: QueryDeps,
  minPosition: number | undefined,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  if (minPosition === undefined) return false;
  return !(await readModelCall('read-your-writes wait', () =>
    waitForPosition(deps.pool, 'elasticsearch', minPosition, signal),
  ));
}

export function orderQueries(deps: QueryDeps) {
  return {
    get: readerProcedure.input(getOrderInput).query(async ({ input, signal }) => {
      const found = await readModelCall('orders.get', () =>
        getOrder(deps, input.orderId, input.minVersion, signal),
      );
      if (!found) {
        throw new TRPCError({
          code: 'NOT_FOUND',
          message:
            input.minVersion === undefined
              ? `order ${input.orderId} not found`
              : `order ${input.orderId} is not in the read model yet (waited 2 s); retry shortly`,
        });
      }
      return { ...found.order, stale: found.stale };
    }),
    search: readerProcedure.input(searchOrdersInput).query(async ({ input, signal }) => {
      const { pageSize, cursor, minPosition, ...filters } = input;
      const stale = await staleFor(deps, minPosition, signal);
      const page = await readModelCall('orders.search', () =>
        searchOrders(deps.es, ordersAlias(deps.esPrefix), filters, pageSize, cursor),
      );
      return { ...page, stale };
    }),
  };
}

export function reportsRouter(deps: QueryDeps) {
  return router({
    monthly: readerProcedure.input(monthlyReportInput).query(async ({ input, signal }) => {
      refuseExpired(deps, input.month);
      const stale = await staleFor(deps, input.minPosition, signal);
      const report = await readModelCall('reports.monthly', () =>
        monthlyReport(deps, {
          month: input.month,
          currency: input.currency,
          region: input.region ?? null,
          view: input.view,
        }),
      );
      return { ...report, stale };
    }),
    monthlySeries: readerProcedure.input(monthlySeriesInput).query(async ({ input, signal }) => {
      refuseExpired(deps, input.from, true);
      const stale = await staleFor(deps, input.minPosition, signal);
      const region = input.region ?? null;
      const months = await readModelCall('reports.monthlySeries', () =>
        monthlySeries(deps, {
          from: input.from,
          to: input.to,
          currency: input.currency,
          region,
          view: input.view,
        }),
      );
      return {
        from: input.from,
        to: input.to,
        currency: input.currency,
        region,
        view: input.view,
        months,
        stale,
      };
    }),
    topProducts: readerProcedure.input(topProductsInput).query(async ({ input, signal }) => {
      refuseExpired(deps, input.from, true);
      return {
        stale: await staleFor(deps, input.minPosition, signal),
        from: input.from,
        to: input.to,
        currency: input.currency,
        currencyDigits: currencyDigits(input.currency),
        products: await readModelCall('reports.topProducts', () =>
          computeTopProducts(deps.es, ordersAlias(deps.esPrefix), {
            fromMonth: input.from,
            toMonth: input.to,
            currency: input.currency,
            limit: input.limit,
          }),
        ),
      };
    }),
  });
}
