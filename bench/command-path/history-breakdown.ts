// Where a request's time goes, from a sample of its workflows' histories against the
// client's clock; and how many history events and workflow tasks each one cost.
import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import proto from '@temporalio/proto';
import { summarize } from './stats';

// A CommonJS package: under Node's ESM loader only its default export is reliable.
const EventType = proto.temporal.api.enums.v1.EventType;

/** The phases of the breakdown, in the order they happen. */
export const PHASES = [
  'client→started',
  'started→task picked up',
  'first workflow task (worker)',
  'task done→reply at client',
  'client total',
  'workflow start→close',
] as const;

export interface Breakdown {
  samples: number;
  /** Medians over the sampled workflows, ms (medians of parts do not add up to the total's). */
  median: Record<string, number>;
  p95: Record<string, number>;
  workflowTasksMedian: number;
  historyEventsMedian: number;
  /** Fewest and most over the sample: a command should always cost the same. */
  workflowTasksRange: [number, number];
  historyEventsRange: [number, number];
}

/** A request whose workflow history is fetched after the cell. */
export interface TracedCall {
  workflowId: string;
  sentAt: number;
  repliedAt: number;
}

/** Keeps a uniform random sample of at most `size` items from a stream. */
export class Reservoir<T> {
  readonly items: T[] = [];
  private seen = 0;
  constructor(private readonly size: number) {}
  add(item: T): void {
    this.seen++;
    if (this.items.length < this.size) this.items.push(item);
    else {
      const i = Math.floor(Math.random() * this.seen);
      if (i < this.size) this.items[i] = item;
    }
  }
}

const range = (values: number[]): [number, number] =>
  values.length ? [Math.min(...values), Math.max(...values)] : [Number.NaN, Number.NaN];

/** Fetches each traced workflow's history (one after the other) and breaks its time down. */
export async function historyBreakdown(client: Client, calls: TracedCall[]): Promise<Breakdown> {
  const parts: Record<string, number[]> = {};
  const push = (k: string, v: number) => {
    parts[k] ??= [];
    parts[k].push(v);
  };
  const tasks: number[] = [];
  const lengths: number[] = [];
  for (const call of calls) {
    let events: temporal.api.history.v1.IHistoryEvent[];
    try {
      events = (await client.workflow.getHandle(call.workflowId).fetchHistory()).events ?? [];
    } catch {
      continue;
    }
    const at = (type: number) => {
      const e = events.find((ev) => ev.eventType === type);
      return e ? tsToMs(e.eventTime) : undefined;
    };
    const started = at(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
    const taskStarted = at(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
    const taskCompleted = at(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
    const last = events[events.length - 1];
    if (started === undefined || taskStarted === undefined || taskCompleted === undefined) continue;
    push('client→started', started - call.sentAt);
    push('started→task picked up', taskStarted - started);
    push('first workflow task (worker)', taskCompleted - taskStarted);
    push('task done→reply at client', call.repliedAt - taskCompleted);
    push('client total', call.repliedAt - call.sentAt);
    if (last?.eventTime) push('workflow start→close', tsToMs(last.eventTime) - started);
    tasks.push(
      events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).length,
    );
    lengths.push(events.length);
  }
  const pick = (q: 'p50' | 'p95') =>
    Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, summarize(v)[q]]));
  return {
    samples: tasks.length,
    median: pick('p50'),
    p95: pick('p95'),
    workflowTasksMedian: summarize(tasks).p50,
    historyEventsMedian: summarize(lengths).p50,
    workflowTasksRange: range(tasks),
    historyEventsRange: range(lengths),
  };
}
