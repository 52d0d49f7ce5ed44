import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { START } from '../../eventstore/types';
import { taskQueue } from '../../temporal/task-queues';
import type { rebuildReadModelWorkflow } from '../../workflows/rebuild-read-model';
import { rebuildProgressQuery, rebuildWorkflowId } from '../../workflows/rebuild-read-model';
import { projectionStatus } from '../projection-status';
import { readModelInput } from '../query-inputs';
import { adminProcedure, router } from '../trpc';

export function adminRouter(deps: { temporal: Client }) {
  return router({
    projections: router({
      status: adminProcedure.query(async () => ({
        readModels: await projectionStatus(deps.temporal),
      })),
      /** Starts a rebuild, or reports the one already running for that read model. */
      rebuild: adminProcedure.input(readModelInput).mutation(async ({ input }) => {
        const workflowId = rebuildWorkflowId(input.readModel);
        let alreadyRunning = false;
        try {
          await deps.temporal.workflow.start<typeof rebuildReadModelWorkflow>(
            'rebuildReadModelWorkflow',
            {
              workflowId,
              taskQueue: taskQueue('commands'),
              workflowIdConflictPolicy: 'FAIL',
              args: [
                {
                  readModel: input.readModel,
                  phase: 'copying',
                  index: null,
                  checkpoint: START,
                  eventsRead: 0,
                  ordersWritten: 0,
                  startedAt: new Date().toISOString(),
                  swappedAt: null,
                  watermark: null,
                  finishedAt: null,
                },
              ],
            },
          );
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
          alreadyRunning = true;
        }
        const progress = await deps.temporal.workflow
          .getHandle(workflowId)
          .query(rebuildProgressQuery);
        return { workflowId, alreadyRunning, progress };
      }),
      rebuildProgress: adminProcedure.input(readModelInput).query(async ({ input }) => ({
        workflowId: rebuildWorkflowId(input.readModel),
        progress: await deps.temporal.workflow
          .getHandle(rebuildWorkflowId(input.readModel))
          .query(rebuildProgressQuery),
      })),
    }),
  });
}
