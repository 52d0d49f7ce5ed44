// The tables of the report scenarios: the command load alone and with report loads next to
// it, the report errors, and the p99 comparison.
import { type CommandUnderLoad, reportComparison } from './report-comparison';
import { type ScenarioResult, type SkippedScenario, scenarioName } from './results';
import { fmt, printTable } from './stats';

export function printReportLoad(results: ScenarioResult[], skipped: SkippedScenario[]): void {
  const loaded = results.filter((r) => r.reportLoad);
  if (loaded.length === 0 && skipped.length === 0) return;
  // The command load alone in the same cells, for the CPU and latency next to it.
  const key = (r: ScenarioResult) => `${r.server} ${r.commandPath} ${r.connections}`;
  const cells = new Set(loaded.map(key));
  const rows = results.filter(
    (r) => r.reportLoad || (r.scenario === 'command' && cells.has(key(r))),
  );
  const cores = (r: ScenarioResult) =>
    ['postgres', 'elasticsearch', 'redis'].map((k) => fmt(r.cpuCores[k] ?? Number.NaN)).join('/');
  printTable(
    'Command load alone and with a fixed-rate report load next to it (open loop: a tick with every client busy is not sent, it counts as behind)',
    [
      'server',
      'scenario',
      'conns',
      'cmd/s',
      'cmd p50',
      'cmd p99',
      'lag p99',
      'reports target/s',
      'achieved/s',
      'behind',
      'max in flight',
      'report p50',
      'report p99',
      'report errors',
      'cores pg/es/redis',
      'answers',
    ],
    rows.map((r) => {
      const l = r.reportLoad;
      const answers = !l
        ? ''
        : l.cache
          ? `${l.cache.cached} cached, ${l.cache.computed} computed (${Object.entries(
              l.sources ?? {},
            )
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')})`
          : 'SQL JOIN';
      return [
        r.server ?? '',
        scenarioName(r),
        r.connections,
        r.perSecond,
        r.latencyMs.p50,
        r.latencyMs.p99,
        r.lag?.ms.p99 ?? Number.NaN,
        l ? l.targetPerSecond : '-',
        l ? l.perSecond : '-',
        l ? l.behind : '-',
        l ? `${l.peakInFlight}/${l.clients}` : '-',
        l ? l.latencyMs.p50 : '-',
        l ? l.latencyMs.p99 : '-',
        l ? Object.values(l.errors).reduce((a, b) => a + b, 0) : '-',
        cores(r),
        answers,
      ];
    }),
  );
  for (const l of new Map(loaded.map((r) => [r.scenario, r.reportLoad])).values())
    if (l) console.log(`  ${l.kind}: ${l.description}`);
  const reportErrors = loaded.flatMap((r) =>
    Object.entries(r.reportLoad?.errors ?? {}).map(([k, v]) => [
      r.server ?? '',
      scenarioName(r),
      r.connections,
      k,
      v,
    ]),
  );
  if (reportErrors.length)
    printTable('Report errors', ['server', 'scenario', 'conns', 'error', 'count'], reportErrors);
  for (const s of skipped)
    console.log(`  ${s.server} ${scenarioName(s)} ${s.connections}: ${s.reason}`);

  const cell = (x: CommandUnderLoad | string | null, k: 'p99' | 'perSecond') =>
    x === null ? '-' : typeof x === 'string' ? 'skipped' : fmt(x[k]);
  const reportRate = (x: CommandUnderLoad | string | null) =>
    x !== null && typeof x === 'object' && x.reports
      ? `${fmt(x.reports.perSecond)} of ${fmt(x.reports.targetPerSecond)}`
      : '-';
  const times = (r: number | null) => (r === null ? '-' : `${r.toFixed(2)}×`);
  printTable(
    'command p99: alone / with API report load / with SQL report load (same run, same command path, back to back)',
    [
      'server',
      'path',
      'conns',
      'p99 alone',
      'p99 +API reports',
      '×',
      'p99 +SQL reports',
      '×',
      'cmd/s alone',
      '+API',
      '+SQL',
      'API reports/s',
      'SQL reports/s',
    ],
    reportComparison(results, skipped).map((c) => [
      c.server,
      c.path ?? '-',
      c.connections,
      c.alone.p99,
      cell(c.withApiReports, 'p99'),
      times(c.p99Ratio.api),
      cell(c.withSqlReports, 'p99'),
      times(c.p99Ratio.sql),
      c.alone.perSecond,
      cell(c.withApiReports, 'perSecond'),
      cell(c.withSqlReports, 'perSecond'),
      reportRate(c.withApiReports),
      reportRate(c.withSqlReports),
    ]),
  );
}
