// One Temporal server's turn: start (or take) the server, the workers (command workflow and
// projectors), the API under test and the empty-workflow endpoint; warm up; measure every
// scenario through Temporal at each number of connections; stop what was started.
import { parseTokens } from '../../api/auth';
import { createApiServer } from '../../api/server';
import { cleanupMark, onCleanup, runCleanups } from './cleanups';
import { progress, type TemporalContext, TOKENS } from './context';
import { emptyWorkflowServer, type ReadSide, startHttp, timedServer } from './http-servers';
import { terminateProjectors } from './projectors';
import { type ReportApi, type ReportData, reportApiServer } from './report-data-set';
import type { ScenarioResult, SkippedScenario } from './results';
import { commandScenario } from './scenarios/command';
import { commandWithReportsScenario } from './scenarios/command-with-reports';
import { emptyWorkflowScenario } from './scenarios/empty-workflow';
import { startServer } from './servers';
import {
  ES_PREFIX,
  REDIS_PREFIX,
  type ScenarioKind,
  type ServerKind,
  type Settings,
} from './settings';
import { connectWhenReady, timedClient } from './temporal-client';
import { startWorkerChild, startWorkersInProcess } from './worker-handle';

export interface ServerTurn {
  results: ScenarioResult[];
  skipped: SkippedScenario[];
  server: { kind: ServerKind; address: string; flags: string[] };
  workerPlacement: string;
}

const COMMAND_LOADS: ScenarioKind[] = ['command', 'command-reports', 'command-sql-report'];

export async function serverTurn(
  kind: ServerKind,
  settings: Settings,
  readSide: ReadSide,
  reports: ReportData,
): Promise<ServerTurn> {
  const mark = cleanupMark();
  const server = await startServer(kind, settings);
  onCleanup(server.stop);
  const connection = await connectWhenReady(server.address);
  onCleanup(() => connection.close());
  const calls = new Map<string, number[]>();
  const client = timedClient(connection, calls);
  // Fresh projectors from the checkpoints in the bench database; none left open at the end.
  await terminateProjectors(client, 'command-path bench: a fresh start');
  onCleanup(() => terminateProjectors(client, 'command-path bench: done with this server'));
  const workers = settings.inprocessWorkers
    ? await startWorkersInProcess(settings)
    : await startWorkerChild(server.address, settings);
  const tokens = parseTokens(`reader:${TOKENS.reader},writer:${TOKENS.writer}`);
  const api = createApiServer({
    deps: {
      ...readSide,
      temporal: client,
      esPrefix: ES_PREFIX,
      redisPrefix: REDIS_PREFIX,
      reportTimeZone: 'UTC',
    },
    tokens,
    maxBodyBytes: 256 * 1024,
  });
  const apiTimes: number[] = [];
  // The second API server, answering reports from the reports-at-scale data set.
  let reportApi: { url: string; server: ReportApi } | undefined;
  if (reports.readSide && !reports.apiMissing) {
    const server = reportApiServer({
      readSide: reports.readSide,
      temporal: client,
      pool: readSide.pool,
      tokens,
    });
    reportApi = { url: await startHttp(server.server), server };
  }
  const ctx: TemporalContext = {
    server,
    client,
    apiUrl: await startHttp(timedServer(api, apiTimes)),
    emptyUrl: await startHttp(emptyWorkflowServer(client)),
    workers,
    calls,
    apiTimes,
    settings,
    reports: { slots: reports.slots, ...(reportApi ? { api: reportApi } : {}) },
    pool: readSide.pool,
  };
  const measured = await measure(ctx, reports);
  // Stop this server's API, endpoints, workers, projectors, client and (if ours) server, in
  // that order. On an error the caller's cleanups stop them.
  await runCleanups(mark);
  return {
    ...measured,
    server: { kind, address: server.address, flags: server.flags },
    workerPlacement: workers.placement,
  };
}

async function measure(
  ctx: TemporalContext,
  reports: ReportData,
): Promise<Pick<ServerTurn, 'results' | 'skipped'>> {
  const { settings } = ctx;
  const kind = ctx.server.kind;
  const want = (s: ScenarioKind) => settings.scenarios.includes(s);
  const results: ScenarioResult[] = [];
  const skipped: SkippedScenario[] = [];
  const top = Math.max(...settings.connections);
  progress(`${kind}: warm-up ${settings.warmupSeconds} s`);
  if (settings.scenarios.some((s) => COMMAND_LOADS.includes(s)))
    await commandScenario(ctx, top, settings.warmupSeconds, false);
  if (want('empty')) await emptyWorkflowScenario(ctx, top, settings.warmupSeconds, false);
  for (const n of settings.connections) {
    if (want('command')) {
      progress(`${kind}: command path, ${n} connections`);
      results.push(await commandScenario(ctx, n, settings.seconds));
    }
    // Right after `command`, the same load with report clients next to it.
    for (const scenario of ['command-reports', 'command-sql-report'] as const) {
      if (!want(scenario)) continue;
      const why = reportSkipReason(ctx, scenario, n, reports);
      if (why) {
        progress(`${kind}: ${scenario}, ${n}: ${why}`);
        skipped.push({ scenario, server: kind, connections: n, reason: why });
        continue;
      }
      progress(
        `${kind}: ${scenario}, ${n} connections + reports at ${settings.reportRate} q/s (at most ${settings.reportClients} in flight)`,
      );
      results.push(await commandWithReportsScenario(ctx, scenario, n, settings.seconds));
    }
    if (want('empty')) {
      progress(`${kind}: empty workflow, ${n} connections`);
      results.push(await emptyWorkflowScenario(ctx, n, settings.seconds));
    }
  }
  return { results, skipped };
}

/** Why a report scenario is not measured in this cell, or undefined when it is. */
function reportSkipReason(
  ctx: TemporalContext,
  scenario: 'command-reports' | 'command-sql-report',
  connections: number,
  reports: ReportData,
): string | undefined {
  const { settings } = ctx;
  // On the first server only (the stack's, by default): the question is whether reports
  // slow commands, not how servers differ. --quick: its first cell only.
  if (ctx.server.kind !== settings.servers[0])
    return 'skipped: report scenarios run on the first server of --servers only';
  if (settings.quick && connections !== settings.connections[0])
    return 'skipped: --quick measures report scenarios in the first cell only';
  if (scenario === 'command-sql-report' && reports.sqlMissing)
    return `skipped: run reports-at-scale first (${reports.sqlMissing})`;
  if (scenario === 'command-reports' && reports.apiMissing)
    return `skipped: run reports-at-scale first (${reports.apiMissing})`;
  return undefined;
}
