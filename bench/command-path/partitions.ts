// The partitioned command path's workflows (workflows/command-partition.ts): long-lived, one
// per partition, continued as new every 1,000 updates. There is no workflow per command, so
// what a command costs the engine is counted from the partitions' histories: every run that
// was open during the cell (continued-as-new ones included), the events recorded in the
// cell's window, over the commands the cell acknowledged. Also ending the bench's
// partitions at the start and end of a server's turn, as for the projectors.
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import proto from '@temporalio/proto';
import { commandPartitionWorkflowId } from '../../contracts/command-partitions';
import { prefixedId, taskQueue } from '../../temporal/task-queues';
import type * as workflows from '../../workflows';

// A CommonJS package: under Node's ESM loader only its default export is reliable.
const EventType = proto.temporal.api.enums.v1.EventType;

export const PARTITION_WORKFLOW_TYPE = 'commandPartitionWorkflow' satisfies keyof typeof workflows;

/** Every run of the bench's partition workflows, on the bench's commands queue. */
export const partitionQuery = (): string =>
  `WorkflowType = '${PARTITION_WORKFLOW_TYPE}' AND TaskQueue = '${taskQueue('commands')}'`;

/** The partitions' cost during one cell, from their histories. */
export interface PartitionHistory {
  /** Runs open at some point of the cell (a partition that continued as new counts twice). */
  runs: number;
  /** Runs whose history could not be read (not counted below). */
  unreadable: number;
  /** Commands the cell acknowledged (successful requests). */
  commands: number;
  /** History events recorded during the cell, all runs. */
  events: number;
  /** WorkflowTaskCompleted events recorded during the cell. */
  workflowTasks: number;
  /** Local-activity markers (one per decideAndAppendBatch call) recorded during the cell. */
  batches: number;
  /** Updates accepted during the cell (resends and retried updates included). */
  updatesAccepted: number;
  eventsPerCommand: number;
  workflowTasksPerCommand: number;
  commandsPerWorkflowTask: number;
  commandsPerBatch: number;
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * Counts the partitions' history events recorded between `fromMs` and `toMs` (epoch ms, the
 * cell's load window) over `commands`, the commands acknowledged in that window.
 */
export async function partitionHistory(
  client: Client,
  partitions: number,
  fromMs: number,
  toMs: number,
  commands: number,
): Promise<PartitionHistory> {
  const runs = new Map<string, { workflowId: string; runId: string }>();
  for await (const wf of client.workflow.list({ query: partitionQuery() })) {
    if (wf.startTime.getTime() > toMs) continue;
    if (wf.closeTime && wf.closeTime.getTime() < fromMs) continue;
    runs.set(wf.runId, { workflowId: wf.workflowId, runId: wf.runId });
  }
  // Visibility may not show a run that has just continued as new: the current runs, directly.
  for (let p = 0; p < partitions; p++) {
    const workflowId = prefixedId(commandPartitionWorkflowId(p));
    try {
      const { runId } = await client.workflow.getHandle(workflowId).describe();
      runs.set(runId, { workflowId, runId });
    } catch {}
  }
  let unreadable = 0;
  const count = { events: 0, workflowTasks: 0, batches: 0, updatesAccepted: 0 };
  for (const { workflowId, runId } of runs.values()) {
    let events: temporal.api.history.v1.IHistoryEvent[];
    try {
      events = (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
    } catch {
      unreadable++;
      continue;
    }
    for (const e of events) {
      const at = e.eventTime ? tsToMs(e.eventTime) : Number.NaN;
      if (!(at >= fromMs && at <= toMs)) continue;
      count.events++;
      if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) count.workflowTasks++;
      if (e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED) count.batches++;
      if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
        count.updatesAccepted++;
    }
  }
  const per = (n: number) => (commands > 0 ? round(n / commands) : Number.NaN);
  return {
    runs: runs.size - unreadable,
    unreadable,
    commands,
    ...count,
    eventsPerCommand: per(count.events),
    workflowTasksPerCommand: per(count.workflowTasks),
    commandsPerWorkflowTask: count.workflowTasks
      ? round(commands / count.workflowTasks)
      : Number.NaN,
    commandsPerBatch: count.batches ? round(commands / count.batches) : Number.NaN,
  };
}

/**
 * Terminates the bench's partition workflows on this server, if they run: at the start of a
 * server's turn (a leftover of an interrupted run, or of another branch's code) and at its end
 * (none of the bench's stays open on the stack's server without a worker). Between the cells
 * of a turn they keep running, as in production: every partitioned cell after the warm-up
 * finds them started. Running ones are found through visibility and, in case it lags, by id.
 */
export async function terminatePartitions(
  client: Client,
  partitions: number,
  reason: string,
): Promise<number> {
  const ids = new Set<string>();
  for (let p = 0; p < partitions; p++) ids.add(prefixedId(commandPartitionWorkflowId(p)));
  for await (const wf of client.workflow.list({
    query: `${partitionQuery()} AND ExecutionStatus = 'Running'`,
  }))
    ids.add(wf.workflowId);
  let terminated = 0;
  for (const id of ids) {
    try {
      await client.workflow.getHandle(id).terminate(reason);
      terminated++;
    } catch (err) {
      // Not found, or its last run already closed: nothing runs under this id.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return terminated;
}
