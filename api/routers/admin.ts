import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { TRPCError } from '@trpc/server';
import type pg from 'pg';
import { config } from '../../config/env';
import { commandPartitionWorkflowId } from '../../contracts/command-partitions';
import { orderCommandWorkflowId } from '../../contracts/order-commands';
import {
  initialRebuildProgress,
  type RebuildProgress,
  rebuildProgressQuery,
  rebuildWorkflowId,
} from '../../contracts/projection-controls';
import { orderIdOfStream, partitionOf } from '../../domain';
import type { ReadModel } from '../../domain/read-models';
import { checkRestoredEvents, EventStore, restoredEventsMessage } from '../../eventstore';
import { prefixedId, taskQueue } from '../../temporal/task-queues';
import type { rebuildReadModelWorkflow } from '../../workflows/rebuild-read-model';
import { withEventStore } from '../event-store-calls';
import {
  commandLookupOutput,
  projectionStatusOutput,
  rebuildProgressOutput,
  rebuildStartOutput,
} from '../outputs';
import type { PartitionBusOptions } from '../partition-bus';
import { projectionStatus } from '../projection-status';
import { commandLookupInput, readModelInput, rebuildInput } from '../query-inputs';
import type { QueryDeps } from '../read-model-calls';
import { withTemporalDeadline } from '../temporal-calls';
import { adminProcedure, router } from '../trpc';
import { operatorProcedures } from './operators';

export function adminRouter(
  deps: QueryDeps & {
    temporal: Client;
    pool: pg.Pool;
    commandPath?: PartitionBusOptions;
  },
) {
  return router({
    ...operatorProcedures(deps),
    commands: router({
      /** Where and how a command ended: the event store's record, and its partition. */
      get: adminProcedure
        .meta({
          openapi: {
            method: 'GET',
            path: '/api/admin/commands/{commandId}',
            tags: ['admin'],
            summary: 'How a command ended',
            errorResponses: [404],
            description:
              'The event store’s record of a command (committed or refused) and the Temporal workflow that ran it. 404: it never arrived, is in flight, or did not finish: resend it with the same commandId.',
          },
        })
        .input(commandLookupInput)
        .output(commandLookupOutput)
        .query(async ({ input }) => {
          const found = await withEventStore('admin.commands.get', 'try again shortly', () =>
            new EventStore(deps.pool).lookupCommand(input.commandId),
          );
          if (!found) {
            throw new TRPCError({
              code: 'NOT_FOUND',
              message: `no outcome is stored for command ${input.commandId}: it never arrived, is still in flight, or did not finish; resend it with the same commandId`,
            });
          }
          const orderId = orderIdOfStream(found.streamId) ?? '';
          const partitions = deps.commandPath?.partitions ?? config().COMMAND_PARTITIONS;
          return {
            commandId: input.commandId,
            orderId,
            ...found,
            // In the Temporal UI: this workflow's history holds the command as an update whose
            // id is the command id (partitions = 0: the workflow order-command-<commandId>).
            workflowId:
              partitions > 0
                ? prefixedId(commandPartitionWorkflowId(partitionOf(orderId, partitions)))
                : orderCommandWorkflowId(input.commandId),
          };
        }),
    }),
    projections: router({
      status: adminProcedure
        .meta({
          openapi: {
            method: 'GET',
            path: '/api/admin/projections',
            tags: ['admin'],
            summary: 'Projection status',
            description:
              'Per read model: checkpoint, lag, retrying and failed (parked) orders; and whether the event store was restored from another cluster.',
          },
        })
        .output(projectionStatusOutput)
        .query(async () => {
          const [readModels, restore] = await Promise.all([
            withTemporalDeadline(deps.temporal, 'admin.projections.status', () =>
              projectionStatus(deps.temporal, deps.pool),
            ),
            withEventStore('admin.projections.status', 'try again shortly', () =>
              checkRestoredEvents(deps.pool),
            ),
          ]);
          // The lag counts the invisible events as unread, but cannot say why nothing reads them.
          return {
            readModels,
            restoredEvents: restore.restored ? restoredEventsMessage(restore) : null,
          };
        }),
      rebuild: adminProcedure
        .meta({
          openapi: {
            method: 'POST',
            path: '/api/admin/projections/{readModel}/rebuild',
            tags: ['admin'],
            summary: 'Rebuild a read model',
            description:
              'Starts a rebuild from the event store into a fresh index, swapped in when caught up; answers the running one if any. force swaps even when the rebuilt index holds fewer orders.',
          },
        })
        .input(rebuildInput)
        .output(rebuildStartOutput)
        .mutation(({ input }) =>
          withTemporalDeadline(deps.temporal, 'admin.projections.rebuild', () =>
            startRebuild(deps.temporal, input.readModel, input.force ?? false),
          ),
        ),
      rebuildProgress: adminProcedure
        .meta({
          openapi: {
            method: 'GET',
            path: '/api/admin/projections/{readModel}/rebuild',
            tags: ['admin'],
            summary: 'A rebuild’s progress',
            errorResponses: [404],
            description:
              'The latest rebuild of a read model: running, completed or failed (and why).',
          },
        })
        .input(readModelInput)
        .output(rebuildProgressOutput)
        .query(({ input }) =>
          withTemporalDeadline(deps.temporal, 'admin.projections.rebuildProgress', () =>
            rebuildProgress(deps.temporal, input.readModel),
          ),
        ),
    }),
  });
}

/** Starts a rebuild, or reports the one already running for that read model. */
async function startRebuild(client: Client, readModel: ReadModel, force: boolean) {
  const workflowId = prefixedId(rebuildWorkflowId(readModel));
  let alreadyRunning = false;
  try {
    await client.workflow.start<typeof rebuildReadModelWorkflow>('rebuildReadModelWorkflow', {
      workflowId,
      taskQueue: taskQueue('commands'),
      workflowIdConflictPolicy: 'FAIL',
      args: [initialRebuildProgress(readModel, { force })],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    alreadyRunning = true;
  }
  const progress = await client.workflow.getHandle(workflowId).query(rebuildProgressQuery);
  return { workflowId, alreadyRunning, progress };
}

/**
 * The latest rebuild's progress: queried while it runs, its result once finished (a
 * finished workflow's queries would need a worker to answer).
 */
async function rebuildProgress(
  client: Client,
  readModel: ReadModel,
): Promise<{
  workflowId: string;
  status: string;
  progress: RebuildProgress | null;
  /** Why a failed rebuild stopped (a refusal names its fix). */
  error?: string;
}> {
  const workflowId = prefixedId(rebuildWorkflowId(readModel));
  const handle = client.workflow.getHandle<typeof rebuildReadModelWorkflow>(workflowId);
  try {
    const { status } = await handle.describe();
    if (status.name === 'RUNNING') {
      return {
        workflowId,
        status: status.name,
        progress: await handle.query(rebuildProgressQuery),
      };
    }
    if (status.name === 'FAILED') {
      const error = await handle.result().then(
        () => 'failed',
        (err: unknown) => failureMessage(err),
      );
      return { workflowId, status: status.name, progress: null, error };
    }
    const progress = status.name === 'COMPLETED' ? await handle.result() : null;
    return { workflowId, status: status.name, progress };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new TRPCError({
        code: 'NOT_FOUND',
        message: `no rebuild of ${readModel} has run (in the retention window): start one with admin.projections.rebuild`,
      });
    }
    throw err;
  }
}

/** The innermost message of a workflow failure: the activity's own refusal. */
function failureMessage(err: unknown): string {
  let cause: unknown = err;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  return cause instanceof Error ? cause.message : String(err);
}
