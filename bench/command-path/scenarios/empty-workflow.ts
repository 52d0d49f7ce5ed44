// The engine floor: the same HTTP → endpoint → update-with-start path as a command, with a
// workflow that returns at once (bench/fixtures/empty-workflow.ts). Ours / this is the
// share of the engine's own rate the command path keeps.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { benchLoop, cpuGroups, HISTORY_SAMPLES, type TemporalContext } from '../context';
import { historyBreakdown, Reservoir, type TracedCall } from '../history-breakdown';
import { type LaneStep, newId, runLoad, type Sample, timed } from '../load';
import { type ScenarioResult, summarizeLoad } from '../results';
import { EMPTY_TASK_QUEUE } from '../settings';
import { cpuCores, cpuSnapshot, summarize } from '../stats';

export async function emptyWorkflowScenario(
  ctx: TemporalContext,
  connections: number,
  seconds: number,
  measure = true,
): Promise<ScenarioResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const traced = new Reservoir<TracedCall>(HISTORY_SAMPLES);
  let successes = 0;
  const step: LaneStep = async (record) => {
    const id = newId();
    const r = await timed(agent, `${ctx.emptyUrl}/empty`, {
      method: 'POST',
      body: JSON.stringify({ id }),
    });
    const ok = r.reply.status === 200;
    const sample: Sample = { kind: 'empty', ok, sentAt: r.sentAt, latencyMs: r.latencyMs };
    if (!ok) sample.error = `${r.reply.status} ${r.reply.body}`.slice(0, 80);
    record(sample);
    if (ok && measure && ++successes % ctx.settings.lagEvery === 0) {
      traced.add({
        workflowId: `benchcmd-empty-${id}`,
        sentAt: r.sentAt,
        repliedAt: r.sentAt + r.latencyMs,
      });
    }
  };
  const startedAt = new Date().toISOString();
  ctx.calls.clear();
  await ctx.workers.timings();
  benchLoop.take();
  const cpu0 = cpuSnapshot(cpuGroups(ctx));
  const load = await runLoad(connections, seconds, step);
  const cpu1 = cpuSnapshot(cpuGroups(ctx));
  const benchDelay = benchLoop.take();
  const workerStats = await ctx.workers.timings();
  const runningAtEnd = await countRunning(ctx.client, EMPTY_TASK_QUEUE);
  const drainSeconds = await drain(ctx.client, EMPTY_TASK_QUEUE, 60);
  agent.destroy();
  const result: ScenarioResult = {
    scenario: 'empty-workflow',
    server: ctx.server.kind,
    connections,
    seconds,
    startedAt,
    ...summarizeLoad(load),
    runningAtEnd,
    drainSeconds,
    temporalCallMs: summarize(ctx.calls.get('emptyWorkflow') ?? []),
    loopDelayMs: { bench: benchDelay, workers: workerStats.loopDelayMs },
    cpuCores: cpuCores(cpu0, cpu1),
  };
  if (measure) result.breakdown = await historyBreakdown(ctx.client, traced.items);
  return result;
}

async function countRunning(client: Client, queue: string): Promise<number | null> {
  try {
    const { count } = await client.workflow.count(
      `TaskQueue = "${queue}" AND ExecutionStatus = "Running"`,
    );
    return count;
  } catch {
    return null;
  }
}

/** Waits until no workflow of the queue runs; seconds waited, or null if it did not drain. */
async function drain(client: Client, queue: string, maxSeconds: number): Promise<number | null> {
  const begin = performance.now();
  for (;;) {
    const running = await countRunning(client, queue);
    const waited = (performance.now() - begin) / 1000;
    if (running === 0) return Math.round(waited * 10) / 10;
    if (running === null || waited > maxSeconds) return null;
    await sleep(250);
  }
}
