import { currencyDigits } from '../../domain/currency';
import { computeTopProducts, ordersAlias } from '../../projections/elasticsearch';
import { monthlyReportOutput, monthlySeriesOutput, topProductsOutput } from '../outputs';
import { monthlyReportInput, monthlySeriesInput, topProductsInput } from '../query-inputs';
import {
  type QueryDeps,
  readModelCall,
  refuseUnreportableMonths,
  staleFor,
} from '../read-model-calls';
import { monthlyReport } from '../report-queries';
import { monthlySeries } from '../report-series';
import { readerProcedure, router } from '../trpc';

export function reportsRouter(deps: QueryDeps) {
  return router({
    monthly: readerProcedure
      .meta({
        openapi: {
          method: 'GET',
          path: '/api/reports/monthly',
          tags: ['reports'],
          errorResponses: [404, 422],
          summary: 'A monthly report',
          description:
            'Per product and in total for one month and currency (optionally one region): order count, quantity, net sales and average unit price in minor units. An order counts in the month of its completion (REPORT_TIMEZONE). view=restated (default) removes refunds from their completion month; view=booked counts them negative in the refund month. Closed months come from their rollup. A month before the retention is 404 (data.reason PastRetention), one not begun 400 (FutureMonth).',
        },
      })
      .input(monthlyReportInput)
      .output(monthlyReportOutput)
      .query(async ({ input, signal }) => {
        refuseUnreportableMonths(deps, { from: input.month, to: input.month });
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
    monthlySeries: readerProcedure
      .meta({
        openapi: {
          method: 'GET',
          path: '/api/reports/monthly-series',
          tags: ['reports'],
          errorResponses: [404, 422],
          summary: 'Monthly totals over a range',
          description:
            'Each month’s totals from..to (at most 36 months), the same numbers as each month’s report: for charts.',
        },
      })
      .input(monthlySeriesInput)
      .output(monthlySeriesOutput)
      .query(async ({ input, signal }) => {
        refuseUnreportableMonths(deps, input, true);
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
    topProducts: readerProcedure
      .meta({
        openapi: {
          method: 'GET',
          path: '/api/reports/top-products',
          tags: ['reports'],
          errorResponses: [404, 422],
          summary: 'Best-selling products over a range',
          description: 'The products with the highest net sales from..to, in either view.',
        },
      })
      .input(topProductsInput)
      .output(topProductsOutput)
      .query(async ({ input, signal }) => {
        refuseUnreportableMonths(deps, input, true);
        return {
          stale: await staleFor(deps, input.minPosition, signal),
          from: input.from,
          to: input.to,
          currency: input.currency,
          region: input.region ?? null,
          view: input.view,
          currencyDigits: currencyDigits(input.currency),
          products: await readModelCall('reports.topProducts', () =>
            computeTopProducts(deps.es, ordersAlias(deps.esPrefix), {
              fromMonth: input.from,
              toMonth: input.to,
              currency: input.currency,
              region: input.region ?? null,
              limit: input.limit,
              view: input.view,
            }),
          ),
        };
      }),
  });
}
