import { currencyDigits } from '../../domain/currency';
import { computeTopProducts, ordersAlias } from '../../projections/elasticsearch';
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
    monthly: readerProcedure.input(monthlyReportInput).query(async ({ input, signal }) => {
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
    monthlySeries: readerProcedure.input(monthlySeriesInput).query(async ({ input, signal }) => {
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
    topProducts: readerProcedure.input(topProductsInput).query(async ({ input, signal }) => {
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
