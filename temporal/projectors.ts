import type { Client } from '@temporalio/client';
import {
  type ParkedProjection,
  parkedProjectionWorkflowId,
} from '../contracts/projection-controls';
import { PROJECTION_STATUS } from '../contracts/search-attributes';
import { projectionStatusValue, READ_MODELS, type ReadModel } from '../domain/read-models';
import { type ProjectionCheckpoints, START } from '../eventstore';
import type { parkedProjectionWorkflow } from '../workflows/parked-projection';
import type { projectorWorkflow } from '../workflows/projector';
import { prefixedId, taskQueue } from './task-queues';

export const projectorWorkflowId = (readModel: ReadModel): string =>
  prefixedId(`projector-${readModel}`);

/**
 * Starts each read model's projector unless it already runs (a fixed workflow id and
 * USE_EXISTING: two projectors for one read model can never run at once). A first start
 * resumes from the checkpoint stored in the database, or reads the store from its
 * beginning (writes are versioned, so re-projecting what is already there is a no-op).
 */
export async function ensureProjectors(
  client: Client,
  checkpoints: ProjectionCheckpoints,
): Promise<void> {
  for (const readModel of READ_MODELS) {
    const workflowId = projectorWorkflowId(readModel);
    const stored = await checkpoints.load(workflowId);
    await client.workflow.start<typeof projectorWorkflow>('projectorWorkflow', {
      workflowId,
      taskQueue: taskQueue('projections'),
      args: [
        {
          readModel,
          checkpoint: stored
            ? { transactionId: stored.transactionId, position: stored.position }
            : START,
          events: 0,
          batches: 0,
          parked: 0,
        },
      ],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
  }
}

/** The visibility query for this deployment's projections that are parked now. */
export const runningParkedProjectionsQuery = (): string =>
  `ExecutionStatus = 'Running' AND WorkflowType = 'parkedProjectionWorkflow' AND TaskQueue = '${taskQueue('projections')}'`;

/** Parks an order a read model refused for good as its own workflow (idempotent). */
export async function parkProjection(client: Client, parked: ParkedProjection): Promise<void> {
  await client.workflow.start<typeof parkedProjectionWorkflow>('parkedProjectionWorkflow', {
    workflowId: prefixedId(parkedProjectionWorkflowId(parked.readModel, parked.orderId)),
    taskQueue: taskQueue('projections'),
    args: [parked],
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [
      { key: PROJECTION_STATUS, value: [projectionStatusValue(parked.readModel, 'failed')] },
    ],
  });
}
