// What a command costs the engine, read from Temporal: per command, a sample of its
// workflows' histories against the client's clock (where the time goes, events and workflow
// tasks each); partitioned, every partition run open during the cell, its events over the
// commands acknowledged. And the projectors: how far behind, and catching up.
import { setTimeout as sleep } from 'node:timers/promises';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import proto from '@temporalio/proto';
import type pg from 'pg';
import { commandPartitionWorkflowId } from '../../contracts/command-partitions';
import { queueName } from '../../contracts/task-queues';
import { READ_MODELS, type ReadModel } from '../../domain/read-models';
import { ProjectionCheckpoints, START } from '../../eventstore';
import { projectorWorkflowId } from '../../temporal/projectors';
import { prefixedId } from '../../temporal/task-queues';
import { COMMAND_PATH_DATA } from '../harness/data-sets';
import { range, round, summarize } from '../harness/stats';

// A CommonJS package: under Node's ESM loader only its default export is reliable.
const EventType = proto.temporal.api.enums.v1.EventType;

/** Keeps a uniform random sample of at most `size` items of a stream. */
export class Reservoir<T> {
  readonly items: T[] = [];
  private seen = 0;
  constructor(private readonly size: number) {}
  add(item: T): void {
    const i = this.seen < this.size ? this.seen : Math.floor(Math.random() * (this.seen + 1));
    this.seen++;
    if (i < this.size) this.items[i] = item;
  }
}

/** A request whose workflow's history is read after the cell. */
export interface Traced {
  workflowId: string;
  sentAt: number;
  repliedAt: number;
}

/** The breakdown's phases, in the order they happen. */
export const PHASES = [
  'client→started',
  'started→task picked up',
  'first workflow task (worker)',
  'task done→reply at client',
  'client total',
] as const;

/** Medians over the sampled histories (medians of parts do not add up to the total's). */
export async function historyBreakdown(client: Client, calls: Traced[]) {
  const parts: Record<string, number[]> = {};
  const tasks: number[] = [];
  const lengths: number[] = [];
  for (const call of calls) {
    const events = await history(client, call.workflowId);
    const at = (type: number) => {
      const e = events?.find((ev) => ev.eventType === type);
      return e?.eventTime ? tsToMs(e.eventTime) : undefined;
    };
    const started = at(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
    const picked = at(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
    const done = at(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
    if (!events || started === undefined || picked === undefined || done === undefined) continue;
    const phases = [started - call.sentAt, picked - started, done - picked, call.repliedAt - done];
    phases.push(call.repliedAt - call.sentAt);
    PHASES.forEach((p, i) => {
      parts[p] = [...(parts[p] ?? []), phases[i] ?? Number.NaN];
    });
    tasks.push(
      events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).length,
    );
    lengths.push(events.length);
  }
  return {
    samples: tasks.length,
    medianMs: Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, summarize(v).p50])),
    workflowTasks: summarize(tasks).p50,
    historyEvents: summarize(lengths).p50,
    /** Fewest and most over the sample: a command should always cost the same. */
    workflowTasksRange: range(tasks),
    historyEventsRange: range(lengths),
  };
}
export type Breakdown = Awaited<ReturnType<typeof historyBreakdown>>;

async function history(client: Client, workflowId: string, runId?: string) {
  try {
    return (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
  } catch {
    return undefined;
  }
}

const PARTITIONS = `WorkflowType = 'commandPartitionWorkflow' AND TaskQueue = '${queueName(COMMAND_PATH_DATA.taskQueuePrefix, 'commands')}'`;
const partitionIds = (partitions: number) =>
  Array.from({ length: partitions }, (_, p) => prefixedId(commandPartitionWorkflowId(p)));

/** The partitions' history events recorded in [fromMs, toMs], over `commands` acknowledged. */
export async function partitionHistory(
  client: Client,
  partitions: number,
  [fromMs, toMs]: [number, number],
  commands: number,
) {
  const runs = new Map<string, string>(); // runId → workflowId
  for await (const wf of client.workflow.list({ query: PARTITIONS }))
    if (wf.startTime.getTime() <= toMs && !(wf.closeTime && wf.closeTime.getTime() < fromMs))
      runs.set(wf.runId, wf.workflowId);
  // Visibility may not show yet a run that has just continued as new: the current ones too.
  for (const id of partitionIds(partitions)) {
    const running = await client.workflow
      .getHandle(id)
      .describe()
      .catch(() => undefined);
    if (running) runs.set(running.runId, id);
  }
  const count = {
    runs: 0,
    unreadable: 0,
    events: 0,
    workflowTasks: 0,
    batches: 0,
    updatesAccepted: 0,
  };
  for (const [runId, workflowId] of runs) {
    const events = await history(client, workflowId, runId);
    if (!events) count.unreadable++;
    else count.runs++;
    for (const e of events ?? []) {
      const at = e.eventTime ? tsToMs(e.eventTime) : Number.NaN;
      if (!(at >= fromMs && at <= toMs)) continue;
      count.events++;
      if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) count.workflowTasks++;
      // One local-activity marker per decideAndAppendBatch call.
      if (e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED) count.batches++;
      if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
        count.updatesAccepted++;
    }
  }
  const per = (n: number, d: number) => (d > 0 ? round(n / d) : Number.NaN);
  return {
    ...count,
    commands,
    eventsPerCommand: per(count.events, commands),
    workflowTasksPerCommand: per(count.workflowTasks, commands),
    commandsPerWorkflowTask: per(commands, count.workflowTasks),
    commandsPerBatch: per(commands, count.batches),
  };
}
export type PartitionHistory = Awaited<ReturnType<typeof partitionHistory>>;

/**
 * Terminates the bench's projectors and partitions on this server, if they run: at the
 * start of a server's turn (an interrupted run's would carry old checkpoints or code) and at
 * its end (none stays open on the stack's server without a worker).
 */
export async function terminateBenchWorkflows(client: Client, partitions: number, reason: string) {
  const ids = new Set([...READ_MODELS.map(projectorWorkflowId), ...partitionIds(partitions)]);
  for await (const wf of client.workflow.list({
    query: `${PARTITIONS} AND ExecutionStatus = 'Running'`,
  }))
    ids.add(wf.workflowId);
  for (const id of ids)
    await client.workflow
      .getHandle(id)
      .terminate(reason)
      .catch((err: unknown) => {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      });
}

/** Events of the store each projector has not read yet (its checkpoint in the database). */
export async function projectorBacklog(pool: pg.Pool): Promise<Record<ReadModel, number>> {
  const checkpoints = new ProjectionCheckpoints(pool);
  const out = {} as Record<ReadModel, number>;
  for (const readModel of READ_MODELS) {
    const stored = await checkpoints.load(projectorWorkflowId(readModel));
    out[readModel] = (await checkpoints.lag(stored ?? START)).events;
  }
  return out;
}

/** Seconds until every projector has read every event, or null after `maxSeconds`. */
export async function waitForProjectors(pool: pg.Pool, maxSeconds = 120): Promise<number | null> {
  const begin = performance.now();
  for (;;) {
    const backlog = await projectorBacklog(pool).catch(() => undefined);
    const waited = (performance.now() - begin) / 1000;
    if (backlog && Object.values(backlog).every((n) => n === 0)) return round(waited, 1);
    if (waited > maxSeconds) return null;
    await sleep(100);
  }
}
