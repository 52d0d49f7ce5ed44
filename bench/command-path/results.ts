// What each measured cell produces, and the comparisons drawn from them.
import type { ReadModel } from '../../domain/read-models';
import type { Breakdown } from './history-breakdown';
import type { LagResult } from './lag-followers';
import type { LoadResult } from './load';
import type { PartitionHistory } from './partitions';
import type { ProjectorTotals } from './projectors';
import type { ReportLoadResult } from './report-load';
import type { CommandPathKind, ScenarioKind, ServerKind } from './settings';
import { type LoopDelay, type Summary, summarize } from './stats';
import type { ActivityTimings } from './workers';

export interface ScenarioResult {
  scenario: string;
  /** Command loads: how the API sent the commands to Temporal. */
  commandPath?: CommandPathKind;
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
  /** Per-command path and empty workflow: a sample of the workflows' histories. */
  breakdown?: Breakdown;
  /** Partitioned path: the partitions' histories during the cell, per command acknowledged. */
  partitionHistory?: PartitionHistory;
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
  commandPath?: CommandPathKind;
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

/** The scenario's name, with the command path of a command load: `command (partitioned)`. */
export const scenarioName = (r: Pick<ScenarioResult, 'scenario' | 'commandPath'>): string =>
  r.commandPath ? `${r.scenario} (${r.commandPath})` : r.scenario;

/** History events and workflow tasks per command, whichever way the path counts them. */
export function engineCostPerCommand(r: ScenarioResult): {
  events: number;
  workflowTasks: number;
  /** How: the median of sampled per-command histories, or the partitions' totals / commands. */
  how: 'sampled median' | 'partition totals' | 'none';
} {
  if (r.partitionHistory)
    return {
      events: r.partitionHistory.eventsPerCommand,
      workflowTasks: r.partitionHistory.workflowTasksPerCommand,
      how: 'partition totals',
    };
  if (r.breakdown && r.breakdown.samples > 0)
    return {
      events: r.breakdown.historyEventsMedian,
      workflowTasks: r.breakdown.workflowTasksMedian,
      how: 'sampled median',
    };
  return { events: Number.NaN, workflowTasks: Number.NaN, how: 'none' };
}

/** The command path against the empty-workflow floor, same server, same connections. */
export interface Ratio {
  server: string;
  path: CommandPathKind | undefined;
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
      path: c.commandPath,
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
