// One Temporal server's turn: start (or take) the server, the workers (command workflows and
// projectors), the API under test (one per command path: partitioned, per command) and the
// empty-workflow endpoint; warm up; measure every scenario through Temporal at each number
// of connections; stop what was started.
import { parseTokens } from '../../api/auth';
import type { PartitionBusOptions } from '../../api/partition-bus';
import { createApiServer } from '../../api/server';
import { cleanupMark, onCleanup, runCleanups } from './cleanups';
import { progress, type TemporalContext, TOKENS } from './context';
import { emptyWorkflowServer, type ReadSide, startHttp, timedServer } from './http-servers';
import { terminatePartitions } from './partitions';
import { terminateProjectors } from './projectors';
import { type ReportApi, type ReportData, reportApiServer } from './report-data-set';
import type { ScenarioResult, SkippedScenario } from './results';
import { commandScenario } from './scenarios/command';
import { commandWithReportsScenario } from './scenarios/command-with-reports';
import { emptyWorkflowScenario } from './scenarios/empty-workflow';
import { startServer } from './servers';
import {
  COMMAND_DEADLINE_MS,
  type CommandPathKind,
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

/** The API's command path options for `path` (passed as AppDeps.commandPath). */
export function commandPathOptions(settings: Settings, path: CommandPathKind): PartitionBusOptions {
  return {
    partitions: path === 'partitioned' ? settings.partitions : 0,
    inflightPerPartition: settings.inflightPerPartition,
    deadlineMs: COMMAND_DEADLINE_MS,
  };
}

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
  // The same for the command partitions (long-lived; between cells they keep running).
  const leftover = await terminatePartitions(
    client,
    settings.partitions,
    'command-path bench: a fresh start',
  );
  if (leftover) progress(`${kind}: terminated ${leftover} partition workflow(s) left running`);
  onCleanup(async () => {
    await terminatePartitions(
      client,
      settings.partitions,
      'command-path bench: done with this server',
    );
  });
  const workers = settings.inprocessWorkers
    ? await startWorkersInProcess(settings)
    : await startWorkerChild(server.address, settings);
  const tokens = parseTokens(`reader:${TOKENS.reader},writer:${TOKENS.writer}`);
  const apiTimes: number[] = [];
  // One API server per command path, same read side and Temporal client; the cells use one
  // at a time.
  const apis: TemporalContext['apis'] = {};
  for (const path of settings.commandPaths) {
    const api = await createApiServer({
      deps: {
        ...readSide,
        temporal: client,
        esPrefix: ES_PREFIX,
        redisPrefix: REDIS_PREFIX,
        reportTimeZone: 'UTC',
        commandPath: commandPathOptions(settings, path),
      },
      tokens,
      maxBodyBytes: 256 * 1024,
      maxBatchSize: 20,
      // The load is one token's: the per-token cap must not shape what is measured.
      maxInflightPerToken: 100_000,
    });
    apis[path] = await startHttp(timedServer(api.server, apiTimes));
  }
  // The second API server, answering reports from the reports-at-scale data set.
  let reportApi: { url: string; server: ReportApi } | undefined;
  if (reports.readSide && !reports.apiMissing) {
    const server = await reportApiServer({
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
    apis,
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
  const commandLoads = settings.scenarios.some((s) => COMMAND_LOADS.includes(s));
  const paths = commandLoads ? settings.commandPaths : [];
  progress(`${kind}: warm-up ${settings.warmupSeconds} s (${[...paths, 'empty'].join(', ')})`);
  // Each path warms up (the partitioned one starts its partition workflows here).
  for (const path of paths) await commandScenario(ctx, path, top, settings.warmupSeconds, false);
  if (want('empty')) await emptyWorkflowScenario(ctx, top, settings.warmupSeconds, false);
  for (const n of settings.connections) {
    if (want('command')) {
      for (const path of settings.commandPaths) {
        progress(`${kind}: command path ${path}, ${n} connections`);
        results.push(await commandScenario(ctx, path, n, settings.seconds));
      }
    }
    // Right after `command`, the same load with report clients next to it.
    for (const scenario of ['command-reports', 'command-sql-report'] as const) {
      if (!want(scenario)) continue;
      const why = reportSkipReason(ctx, scenario, n, reports);
      if (why) {
        progress(`${kind}: ${scenario}, ${n}: ${why}`);
        skipped.push({
          scenario,
          commandPath: settings.commandPaths[0],
          server: kind,
          connections: n,
          reason: why,
        });
        continue;
      }
      progress(
        `${kind}: ${scenario} (${settings.commandPaths[0]}), ${n} connections + reports at ${settings.reportRate} q/s (at most ${settings.reportClients} in flight)`,
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
