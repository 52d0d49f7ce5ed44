// The command path under load: `npm start`'s process (the API and the workers: command
// partitions or one workflow per command, and the projectors) on the server under test,
// N closed-loop clients sending orders.place then orders.complete through its API. Every Nth
// reply is followed until orders.get shows it (projection lag); what the commands cost the
// engine comes from their histories; the cell ends when the projectors have caught up.
import http from 'node:http';
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { orderCommandWorkflowId } from '../../contracts/order-commands';
import { QUEUE_KINDS } from '../../contracts/task-queues';
import { type AppProcess, startApp, startWorkerProcess } from '../harness/app-process';
import { commandLane, LagFollowers } from '../harness/commands';
import { type Cores, startCpuMeter } from '../harness/cpu';
import { appEnvironment, COMMAND_PATH_DATA } from '../harness/data-sets';
import { closedLoop, epochMs, summarizeLoad } from '../harness/load';
import { round } from '../harness/stats';
import type { TemporalServer } from '../harness/temporal-servers';
import {
  historyBreakdown,
  partitionHistory,
  projectorBacklog,
  Reservoir,
  type Traced,
  waitForProjectors,
} from './engine-costs';
import type { ReportLoad } from './report-loads';
import type { CommandPath, Scenario, Settings } from './settings';

/** One server's turn: what every cell on it shares. */
export interface Turn {
  settings: Settings;
  server: TemporalServer;
  client: Client;
  /** The bench database: the projectors' checkpoints. */
  pool: pg.Pool;
}

/** CPU of this process, the app, its worker process and the Temporal server, per request, ms. */
export function cpuMsPerRequest(cores: Cores, perSecond: number): number {
  const used = (cores.bench ?? 0) + (cores.app ?? 0) + (cores.workers ?? 0) + (cores.temporal ?? 0);
  return perSecond > 0 ? round((used * 1000) / perSecond, 1) : Number.NaN;
}

/** The app of a command path, and the worker process beside it (`--worker-queues`), if any. */
export interface CommandApp extends AppProcess {
  workerPids: number[];
}

/** The app for one command path on the turn's server, warmed up at the most connections. */
export async function startCommandApp(turn: Turn, path: CommandPath): Promise<CommandApp> {
  const { settings } = turn;
  const env = {
    ...appEnvironment(COMMAND_PATH_DATA, turn.server.address),
    COMMAND_PARTITIONS: path === 'partitioned' ? String(settings.partitions) : '0',
    ...(settings.inflightPerPartition
      ? { COMMAND_INFLIGHT_PER_PARTITION: settings.inflightPerPartition }
      : {}),
    METRICS_ENABLED: 'false',
    OTEL_SDK_DISABLED: 'true',
    ...(settings.workerPool ? { DATABASE_POOL_SIZE: settings.workerPool } : {}),
  };
  // As docs/operations.md runs them apart: `npm start -- --queues <the rest>` and
  // `npm run worker -- --queues <these>`.
  const split = settings.workerQueues.length > 0;
  const appQueues = QUEUE_KINDS.filter((q) => !settings.workerQueues.includes(q));
  const app = await startApp(env, {
    workerStats: true,
    workerOptions: settings.workerOptions,
    ...(split ? { args: ['--queues', appQueues.join(',')] } : {}),
  });
  const workerPids = split ? [(await startWorkerProcess(env, settings.workerQueues)).pid] : [];
  const top = Math.max(...settings.connections);
  const agent = new http.Agent({ keepAlive: true, maxSockets: top });
  // The partitioned path starts (or resumes) its partition workflows here.
  await closedLoop(top, settings.warmupSeconds, commandLane(agent, app));
  agent.destroy();
  return Object.assign(app, { workerPids });
}

export async function commandCell(
  turn: Turn,
  app: CommandApp,
  path: CommandPath,
  connections: number,
  /** Report queries at a fixed rate for the same time, from the same start. */
  reports?: { scenario: Scenario; load: ReportLoad },
) {
  const { settings, server, client, pool } = turn;
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const followers = new LagFollowers(app);
  const traced = new Reservoir<Traced>(40);
  let succeeded = 0;
  const lane = commandLane(agent, app, ({ reply, commandId, sentAt, repliedAt }) => {
    if (!reply || ++succeeded % settings.lagEvery) return;
    followers.follow(reply, repliedAt);
    if (path === 'per-command')
      traced.add({ workflowId: orderCommandWorkflowId(commandId), sentAt, repliedAt });
  });
  const startedAt = new Date().toISOString();
  await app.workerStats(); // from here on
  const meter = startCpuMeter({
    app: [app.pid],
    ...(app.workerPids.length > 0 ? { workers: app.workerPids } : {}),
    temporal: server.pid ? [server.pid] : [],
  });
  const window: [number, number] = [epochMs(), epochMs() + settings.seconds * 1000];
  let cores: Cores = {};
  const [load, reportLoad] = await Promise.all([
    closedLoop(connections, settings.seconds, lane).finally(() => {
      cores = meter.stop(); // the command load's window: the report load may still drain
    }),
    reports?.load.run(settings.seconds),
  ]);
  const { activities: activityTimings, projectorBatches: duringLoad } = await app.workerStats();
  // The commands are done at their reply; what is left is the projectors' work.
  const projectorBacklogAtEnd = await projectorBacklog(pool).catch(() => null);
  const lag = await followers.finish();
  const catchUpSeconds = await waitForProjectors(pool);
  // The projectors' batches of this cell's events: during the load and the catch-up.
  const { projectorBatches: duringCatchUp } = await app.workerStats();
  const projectorBatches = Object.fromEntries(
    Object.entries(duringLoad).map(([model, a]) => {
      const b = duringCatchUp[model];
      return [
        model,
        { batches: a.batches + (b?.batches ?? 0), events: a.events + (b?.events ?? 0) },
      ];
    }),
  );
  agent.destroy();
  const summary = summarizeLoad(load);
  return {
    scenario: reports?.scenario ?? 'command',
    path,
    server: server.kind,
    connections,
    seconds: settings.seconds,
    startedAt,
    ...summary,
    cores,
    cpuMsPerRequest: cpuMsPerRequest(cores, summary.perSecond),
    lag,
    projectorBacklogAtEnd,
    catchUpSeconds,
    /** Per read model, during the load and the catch-up. */
    projectorBatches,
    activityTimings,
    ...(path === 'per-command'
      ? { breakdown: await historyBreakdown(client, traced.items) }
      : {
          partitionHistory: await partitionHistory(
            client,
            settings.partitions,
            window,
            summary.requests,
          ),
        }),
    ...(reportLoad ? { reportLoad } : {}),
  };
}
export type CommandCell = Awaited<ReturnType<typeof commandCell>>;
