// The command path: N closed-loop clients each send orders.place then orders.complete (one
// command per request) through the real API, on one of its two command paths: partitioned
// (an update of the order's commandPartitionWorkflow, decided and appended in batches) or
// per command (update-with-start of one orderCommandWorkflowV2), on the real workers. Every
// Nth reply is followed until orders.get shows it (projection lag). What a command costs the
// engine: per command, a sample of its workflows' histories; partitioned, the partitions'
// histories during the cell over the commands acknowledged. The cell ends when the
// projectors have caught up.
import http from 'node:http';
import { orderCommandWorkflowId } from '../../../contracts/order-commands';
import type * as workflows from '../../../workflows';
import {
  apiUrl,
  benchLoop,
  cpuGroups,
  HISTORY_SAMPLES,
  type TemporalContext,
  TOKENS,
} from '../context';
import { historyBreakdown, Reservoir, type TracedCall } from '../history-breakdown';
import { LagFollowers } from '../lag-followers';
import { epochMs, type LaneStep, newId, runLoad, type Sample, timed } from '../load';
import { placeInput } from '../order-inputs';
import { PARTITION_WORKFLOW_TYPE, partitionHistory } from '../partitions';
import {
  projectorActivity,
  projectorBacklog,
  projectorTotals,
  waitForProjectors,
} from '../projectors';
import type { ReportLoad } from '../report-load';
import { type ScenarioResult, summarizeLoad } from '../results';
import type { CommandPathKind, ScenarioKind } from '../settings';
import { type CpuSnapshot, cpuCores, cpuSnapshot, summarize } from '../stats';
import { type CommandReplyBody, parseTrpc } from '../trpc-reply';

/** The workflow type each path's update-with-start calls go to (the calls are timed). */
const WORKFLOW_TYPE: Record<CommandPathKind, string> = {
  'per-command': 'orderCommandWorkflowV2' satisfies keyof typeof workflows,
  partitioned: PARTITION_WORKFLOW_TYPE,
};
/** Longest wait for the projectors to read every event after the load. */
const CATCH_UP_MAX_SECONDS = 120;

export async function commandScenario(
  ctx: TemporalContext,
  path: CommandPathKind,
  connections: number,
  seconds: number,
  measure = true,
  /** Report clients running for the same time as the command lanes, from the same start. */
  alongside?: { scenario: ScenarioKind; load: ReportLoad },
): Promise<ScenarioResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const writer = { authorization: `Bearer ${TOKENS.writer}` };
  const api = apiUrl(ctx, path);
  const followers = new LagFollowers(api, TOKENS.reader);
  const traced = new Reservoir<TracedCall>(HISTORY_SAMPLES);
  let successes = 0;

  const sent = (
    record: (s: Sample) => void,
    kind: string,
    commandId: string,
    r: Awaited<ReturnType<typeof timed>>,
  ) => {
    const parsed = parseTrpc<CommandReplyBody>(r.reply);
    const sample: Sample = {
      kind,
      ok: parsed.data !== undefined,
      sentAt: r.sentAt,
      latencyMs: r.latencyMs,
    };
    if (parsed.error) sample.error = parsed.error;
    record(sample);
    if (parsed.data && measure && ++successes % ctx.settings.lagEvery === 0) {
      const repliedAt = r.sentAt + r.latencyMs;
      followers.follow(parsed.data, repliedAt);
      if (path === 'per-command')
        traced.add({ workflowId: orderCommandWorkflowId(commandId), sentAt: r.sentAt, repliedAt });
    }
    return parsed.data;
  };

  const post = (procedure: string, body: Record<string, unknown>) =>
    timed(agent, `${api}/trpc/${procedure}`, {
      method: 'POST',
      headers: writer,
      body: JSON.stringify(body),
    });

  const step: LaneStep = async (record, stopped) => {
    const placeId = newId();
    const placed = sent(
      record,
      'place',
      placeId,
      await post('orders.place', { commandId: placeId, ...placeInput() }),
    );
    if (!placed || stopped()) return;
    const completeId = newId();
    sent(
      record,
      'complete',
      completeId,
      await post('orders.complete', { commandId: completeId, orderId: placed.orderId }),
    );
  };

  const startedAt = new Date().toISOString();
  ctx.calls.clear();
  ctx.apiTimes.length = 0;
  await ctx.workers.timings();
  const totalsBefore = measure ? await projectorTotals(ctx.client) : {};
  benchLoop.take();
  const cpu0 = cpuSnapshot(cpuGroups(ctx));
  // CPU over the command load's window: the report load may still wait for late answers.
  let cpu1: CpuSnapshot | undefined;
  // The load's window (runLoad counts the replies that arrive within `seconds` of its start).
  const loadFrom = epochMs();
  const [load, reportLoad] = await Promise.all([
    runLoad(connections, seconds, step).then((l) => {
      cpu1 = cpuSnapshot(cpuGroups(ctx));
      return l;
    }),
    alongside?.load.run(seconds),
  ]);
  cpu1 ??= cpuSnapshot(cpuGroups(ctx));
  const benchDelay = benchLoop.take();
  const workerStats = await ctx.workers.timings();
  // The command workflows are done at their reply; what is left is the projectors' work.
  const projectorBacklogAtEnd = await projectorBacklog(ctx.pool).catch(() => null);
  const lag = await followers.finish();
  const catchUpSeconds = await waitForProjectors(ctx.pool, CATCH_UP_MAX_SECONDS);
  agent.destroy();
  const result: ScenarioResult = {
    scenario: alongside?.scenario ?? 'command',
    commandPath: path,
    server: ctx.server.kind,
    connections,
    seconds,
    startedAt,
    ...summarizeLoad(load),
    lag,
    projectorBacklogAtEnd,
    catchUpSeconds,
    temporalCallMs: summarize(ctx.calls.get(WORKFLOW_TYPE[path]) ?? []),
    apiRequestMs: summarize(ctx.apiTimes),
    cpuCores: cpuCores(cpu0, cpu1),
  };
  if (reportLoad) result.reportLoad = reportLoad;
  result.loopDelayMs = { bench: benchDelay, workers: workerStats.loopDelayMs };
  if (measure) {
    result.projectorBatches = projectorActivity(totalsBefore, await projectorTotals(ctx.client));
    result.activityTimings = workerStats.activities;
    if (path === 'per-command') result.breakdown = await historyBreakdown(ctx.client, traced.items);
    else
      result.partitionHistory = await partitionHistory(
        ctx.client,
        ctx.settings.partitions,
        loadFrom,
        loadFrom + seconds * 1000,
        result.requests,
      );
  }
  return result;
}
