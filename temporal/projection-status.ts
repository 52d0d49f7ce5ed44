import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { projectionStatusValue, READ_MODELS, type ReadModel } from '../domain/read-models';
import { type GlobalCheckpoint, ProjectionCheckpoints, START } from '../eventstore';
import { projectorWorkflowId } from './projectors';
import { taskQueue } from './task-queues';

export interface ReadModelStatus {
  readModel: ReadModel;
  /** Where the projector stands in the global order (its last batch). */
  checkpoint: GlobalCheckpoint;
  /** When the projector last moved its checkpoint (null: it has not projected yet). */
  checkpointAt: string | null;
  /** Events committed but not yet projected (counted up to 100,000). */
  lagEvents: number;
  /** Age of the oldest committed event not yet projected, in seconds (0 when caught up). */
  lagSeconds: number;
  /** Workflows flagged as retrying this read model (the projector while a batch fails). */
  retrying: number;
  /** Orders this read model refused for good, parked for an operator. */
  failed: number;
  /** Per-command projections of command workflows started before the projectors (draining). */
  pending: number;
}

// Every workflow of this deployment that can carry the flag: projectors and parked orders
// on the projections queue, command workflows of the old shape on the commands queue.
function running(): string {
  return `ExecutionStatus = 'Running' AND (TaskQueue = '${taskQueue('projections')}' OR TaskQueue = '${taskQueue('commands')}')`;
}

/** Per read model: checkpoint and lag from the event store, flags from Temporal's visibility. */
export async function projectionStatus(client: Client, pool: pg.Pool): Promise<ReadModelStatus[]> {
  const checkpoints = new ProjectionCheckpoints(pool);
  const legacy = `${running()} AND WorkflowType = 'orderCommandWorkflow'`;
  const { count: pending } = await client.workflow.count(legacy);
  return Promise.all(
    READ_MODELS.map(async (readModel) => {
      const stored = await checkpoints.load(projectorWorkflowId(readModel));
      const checkpoint = stored
        ? { transactionId: stored.transactionId, position: stored.position }
        : START;
      const count = async (state: 'retrying' | 'failed') =>
        (
          await client.workflow.count(
            `${running()} AND ProjectionStatus = '${projectionStatusValue(readModel, state)}'`,
          )
        ).count;
      const [lag, retrying, failed] = await Promise.all([
        checkpoints.lag(checkpoint),
        count('retrying'),
        count('failed'),
      ]);
      return {
        readModel,
        checkpoint,
        checkpointAt: stored?.updatedAt ?? null,
        lagEvents: lag.events,
        lagSeconds: lag.oldestRecordedAt
          ? Math.max(0, Math.round((Date.now() - new Date(lag.oldestRecordedAt).getTime()) / 1000))
          : 0,
        retrying,
        failed,
        pending,
      };
    }),
  );
}
