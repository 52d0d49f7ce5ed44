// Does a report load slow the command path? The command cell alone against the same cell
// with API reports and with SQL JOIN reports next to it, same server, same connections.
import type { ScenarioResult, SkippedScenario } from './results';
import type { CommandPathKind, ScenarioKind, ServerKind } from './settings';

export interface CommandUnderLoad {
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  /** Cores of the servers the report loads use, during the cell. */
  cpuCores: { postgres: number; elasticsearch: number; redis: number };
  /** The report load's side; absent for the command load alone. */
  reports?: {
    targetPerSecond: number;
    queries: number;
    perSecond: number;
    behind: number;
    p50: number;
    p99: number;
  };
}

export interface ReportComparison {
  server: string;
  /** The command path of all three cells. */
  path: CommandPathKind | undefined;
  connections: number;
  alone: CommandUnderLoad;
  /** null: not in this run; a string: skipped, and why. */
  withApiReports: CommandUnderLoad | string | null;
  withSqlReports: CommandUnderLoad | string | null;
  /** Command p99 with the report load / alone (above 1: the reports slowed commands). */
  p99Ratio: { api: number | null; sql: number | null };
  perSecondRatio: { api: number | null; sql: number | null };
}

/** Command p99 alone / with API report load / with SQL report load, per server and conns. */
export function reportComparison(
  results: ScenarioResult[],
  skipped: SkippedScenario[],
): ReportComparison[] {
  const out: ReportComparison[] = [];
  const view = (r: ScenarioResult): CommandUnderLoad => {
    const v: CommandUnderLoad = {
      perSecond: r.perSecond,
      p50: r.latencyMs.p50,
      p95: r.latencyMs.p95,
      p99: r.latencyMs.p99,
      cpuCores: {
        postgres: r.cpuCores.postgres ?? Number.NaN,
        elasticsearch: r.cpuCores.elasticsearch ?? Number.NaN,
        redis: r.cpuCores.redis ?? Number.NaN,
      },
    };
    if (r.reportLoad) {
      const l = r.reportLoad;
      v.reports = {
        targetPerSecond: l.targetPerSecond,
        queries: l.queries,
        perSecond: l.perSecond,
        behind: l.behind,
        p50: l.latencyMs.p50,
        p99: l.latencyMs.p99,
      };
    }
    return v;
  };
  const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
  for (const alone of results.filter((r) => r.scenario === 'command')) {
    const side = (scenario: ScenarioKind) => {
      const same = (x: {
        server: ServerKind | null;
        connections: number;
        commandPath?: CommandPathKind | undefined;
      }) =>
        x.server === alone.server &&
        x.connections === alone.connections &&
        x.commandPath === alone.commandPath;
      const r = results.find((x) => x.scenario === scenario && same(x));
      if (r) return view(r);
      return skipped.find((x) => x.scenario === scenario && same(x))?.reason ?? null;
    };
    const api = side('command-reports');
    const sql = side('command-sql-report');
    if (api === null && sql === null) continue;
    const base = view(alone);
    const of = (x: CommandUnderLoad | string | null, k: 'p99' | 'perSecond') =>
      x !== null && typeof x === 'object' ? ratio(x[k], base[k]) : null;
    out.push({
      server: alone.server ?? '',
      path: alone.commandPath,
      connections: alone.connections,
      alone: base,
      withApiReports: api,
      withSqlReports: sql,
      p99Ratio: { api: of(api, 'p99'), sql: of(sql, 'p99') },
      perSecondRatio: { api: of(api, 'perSecond'), sql: of(sql, 'perSecond') },
    });
  }
  return out;
}
