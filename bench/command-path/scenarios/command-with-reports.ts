// The command load of scenarios/command.ts, unchanged, with a fixed-rate report load next to
// it for the same time: do reports slow commands? reports.monthly through the API, or the
// SQL JOIN on orders_bench, over the same slots of the reports-at-scale data set (or, with
// --api-reports live, reports.monthly of the current month through the bench's own API).
import { apiUrl, type TemporalContext, TOKENS } from '../context';
import { CURRENCIES, REGIONS } from '../order-inputs';
import { apiReportLoad, type ReportLoad, sqlReportLoad } from '../report-load';
import type { ScenarioResult } from '../results';
import { commandScenario } from './command';

export async function commandWithReportsScenario(
  ctx: TemporalContext,
  scenario: 'command-reports' | 'command-sql-report',
  connections: number,
  seconds: number,
): Promise<ScenarioResult> {
  const load = reportLoadFor(ctx, scenario);
  try {
    await load.warm();
    // On the first command path of the run (the report comparison pairs it with that path's
    // command cell).
    const path = ctx.settings.commandPaths[0] ?? 'partitioned';
    return await commandScenario(ctx, path, connections, seconds, true, { scenario, load });
  } finally {
    await load.close();
  }
}

function reportLoadFor(
  ctx: TemporalContext,
  scenario: 'command-reports' | 'command-sql-report',
): ReportLoad {
  const { reportClients: clients, reportRate: rate } = ctx.settings;
  if (scenario === 'command-sql-report')
    return sqlReportLoad({ clients, rate, slots: ctx.reports.slots });
  if (ctx.settings.apiReports === 'live') {
    const month = new Date().toISOString().slice(0, 7); // the bench reports in UTC
    return apiReportLoad({
      apiUrl: apiUrl(ctx, ctx.settings.commandPaths[0] ?? 'partitioned'),
      token: TOKENS.reader,
      clients,
      rate,
      slots: CURRENCIES.flatMap((currency, i) => [
        { month, currency, region: null },
        { month, currency, region: REGIONS[i] ?? null },
      ]),
      answersFrom:
        "the command bench's own API: its current month, live (every completion invalidates it)",
    });
  }
  const api = ctx.reports.api;
  if (!api) throw new Error('command-reports: no report API server');
  return apiReportLoad({
    apiUrl: api.url,
    token: TOKENS.reader,
    clients,
    rate,
    slots: ctx.reports.slots,
    answersFrom:
      'a second API server reading the reports-at-scale read model (bench- indices, Redis db 2): Redis cache, else rollup, else live',
    computed: (id) => api.server.computed(id),
  });
}
