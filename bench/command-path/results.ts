// What each measured cell produces, and the comparisons drawn from them.
import type { ReadModel } from '../../domain/read-models';
import type { Breakdown } from './history-breakdown';
import type { LagResult } from './lag-followers';
import type { LoadResult } from './load';
import type { ProjectorTotals } from './projectors';
import type { ReportLoadResult } from './report-load';
import type { ScenarioKind, ServerKind } from './settings';
import { type LoopDelay, type Summary, summarize } from './stats';
import type { ActivityTimings } from './workers';

export interface ScenarioResult {
  scenario: string;
  server: ServerKind | null;
  connections: number;
  seconds: number;
  startedAt: string;
  requests: number;
  perSecond: number;
  errors: Record<string, number>;
  latencyMs: Summary;
  byKind: Record<string, Summary>;
  lag?: LagResult;
  /** Command loads: events each projector had not read yet when the load stopped. */
  projectorBacklogAtEnd?: Record<ReadModel, number> | null;
  /** Command loads: seconds until every projector had read every event (null: not in time). */
  catchUpSeconds?: number | null;
  /** Command loads: each projector's batches during the cell (load and catch-up). */
  projectorBatches?: Partial<Record<ReadModel, ProjectorTotals & { eventsPerBatch: number }>>;
  /** Empty workflow: workflows still running when the load stopped, and the wait for them. */
  runningAtEnd?: number | null;
  drainSeconds?: number | null;
  breakdown?: Breakdown;
  /** Duration of the update-with-start call as the API process saw it. */
  temporalCallMs?: Summary;
  /** The API's time per command request, arrival to response end (command scenario only). */
  apiRequestMs?: Summary;
  activityTimings?: ActivityTimings;
  /** Event-loop delay during the load: this process (client lanes + API) and the workers'. */
  loopDelayMs?: { bench: LoopDelay; workers?: LoopDelay };
  cpuCores: Record<string, number>;
  /**
   * CPU time of the bench process (client lanes + API), the workers and the Temporal server
   * per successful request, ms: what a request costs, less sensitive to other load on the
   * machine than the rate is.
   */
  cpuMsPerRequest?: number;
  /** command-reports / command-sql-report: the report clients that ran during the load. */
  reportLoad?: ReportLoadResult;
}

/** A report scenario that was not measured, and why. */
export interface SkippedScenario {
  scenario: ScenarioKind;
  server: ServerKind;
  connections: number;
  reason: string;
}

/** Rate, latency and errors of a load's successful requests, overall and per kind. */
export function summarizeLoad(
  load: LoadResult,
): Pick<ScenarioResult, 'requests' | 'perSecond' | 'errors' | 'latencyMs' | 'byKind'> {
  const ok = load.samples.filter((s) => s.ok);
  const kinds = [...new Set(ok.map((s) => s.kind))];
  return {
    requests: ok.length,
    perSecond: Math.round((ok.length / load.seconds) * 10) / 10,
    errors: load.errors,
    latencyMs: summarize(ok.map((s) => s.latencyMs)),
    byKind: Object.fromEntries(
      kinds.map((k) => [k, summarize(ok.filter((s) => s.kind === k).map((s) => s.latencyMs))]),
    ),
  };
}

/** Sets cpuMsPerRequest: cores of bench + workers + Temporal server over the rate. */
export function addCpuPerRequest(results: ScenarioResult[]): void {
  for (const r of results) {
    const c = r.cpuCores;
    const cores = (c.bench ?? 0) + (c.workers ?? 0) + (c.temporal ?? 0);
    if (r.perSecond > 0) r.cpuMsPerRequest = Math.round((cores * 10000) / r.perSecond) / 10;
  }
}

/** The command path against the empty-workflow floor, same server, same connections. */
export interface Ratio {
  server: string;
  connections: number;
  commands: number;
  empty: number;
  ratio: number;
  cmdP50: number;
  cmdP99: number;
  emptyP50: number;
  emptyP99: number;
}

export function ratios(results: ScenarioResult[]): Ratio[] {
  const out: Ratio[] = [];
  for (const c of results.filter((r) => r.scenario === 'command')) {
    const e = results.find(
      (r) =>
        r.scenario === 'empty-workflow' && r.server === c.server && r.connections === c.connections,
    );
    if (!e) continue;
    out.push({
      server: c.server ?? '',
      connections: c.connections,
      commands: c.perSecond,
      empty: e.perSecond,
      ratio: Math.round((c.perSecond / e.perSecond) * 1000) / 1000,
      cmdP50: c.latencyMs.p50,
      cmdP99: c.latencyMs.p99,
      emptyP50: e.latencyMs.p50,
      emptyP99: e.latencyMs.p99,
    });
  }
  return out;
}
