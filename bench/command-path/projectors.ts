// The product's projectors (one long-running workflow per read model, started by the
// workers): how far behind the event store they are, waiting for them to catch up, what
// their batches looked like, and ending the bench's own at the end of a server's turn.
import { setTimeout as sleep } from 'node:timers/promises';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type pg from 'pg';
import { type ProjectorState, projectorStateQuery } from '../../contracts/projection-controls';
import { READ_MODELS, type ReadModel } from '../../domain/read-models';
import { ProjectionCheckpoints, START } from '../../eventstore';
import { projectorWorkflowId } from '../../temporal/projectors';

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

/**
 * Waits until every projector has read every event in the store: seconds waited, or null
 * if they did not catch up within `maxSeconds`.
 */
export async function waitForProjectors(pool: pg.Pool, maxSeconds: number): Promise<number | null> {
  const begin = performance.now();
  for (;;) {
    const backlog = await projectorBacklog(pool).catch(() => undefined);
    const waited = (performance.now() - begin) / 1000;
    if (backlog && Object.values(backlog).every((n) => n === 0))
      return Math.round(waited * 10) / 10;
    if (waited > maxSeconds) return null;
    await sleep(100);
  }
}

export interface ProjectorTotals {
  events: number;
  batches: number;
}

/** Each projector's totals so far (its state query); undefined for one that did not answer. */
export async function projectorTotals(
  client: Client,
): Promise<Partial<Record<ReadModel, ProjectorTotals>>> {
  const out: Partial<Record<ReadModel, ProjectorTotals>> = {};
  for (const readModel of READ_MODELS) {
    try {
      const state: ProjectorState = await client.workflow
        .getHandle(projectorWorkflowId(readModel))
        .query(projectorStateQuery);
      out[readModel] = { events: state.events, batches: state.batches };
    } catch {}
  }
  return out;
}

/** Per projector: batches and events between two totals, and events per batch. */
export function projectorActivity(
  before: Partial<Record<ReadModel, ProjectorTotals>>,
  after: Partial<Record<ReadModel, ProjectorTotals>>,
): Partial<Record<ReadModel, ProjectorTotals & { eventsPerBatch: number }>> {
  const out: Partial<Record<ReadModel, ProjectorTotals & { eventsPerBatch: number }>> = {};
  for (const readModel of READ_MODELS) {
    const a = before[readModel];
    const b = after[readModel];
    if (!a || !b) continue;
    const events = b.events - a.events;
    const batches = b.batches - a.batches;
    out[readModel] = {
      events,
      batches,
      eventsPerBatch: batches ? Math.round((events / batches) * 10) / 10 : Number.NaN,
    };
  }
  return out;
}

/**
 * Terminates the bench's projectors on this server, if they run: at the start of a server's
 * turn (a leftover of an interrupted run would carry an old checkpoint) and at its end (no
 * projector of the bench stays open on the stack's server without a worker).
 */
export async function terminateProjectors(client: Client, reason: string): Promise<void> {
  for (const readModel of READ_MODELS) {
    try {
      await client.workflow.getHandle(projectorWorkflowId(readModel)).terminate(reason);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
}
