import type { Client } from '@temporalio/client';
import { taskQueue } from '../temporal/task-queues';
import {
  projectionStatusValue,
  READ_MODELS,
  type ReadModel,
} from '../workflows/order-command-contract';

export interface ReadModelStatus {
  readModel: ReadModel;
  /** Commands whose projections have not finished yet (in flight or in trouble). */
  pending: number;
  /** Projections flagged as retrying (slow or failing transiently). */
  retrying: number;
  /** Projections that failed for good and wait for an operator. */
  failed: number;
  /** Age of the oldest unfinished command workflow, in seconds (null if none). */
  oldestPendingAgeSeconds: number | null;
}

const OLDEST_SCAN_LIMIT = 10_000;

/** From Temporal's visibility store: what operators see in the UI, counted. */
export async function projectionStatus(client: Client): Promise<ReadModelStatus[]> {
  const running = `WorkflowType = 'orderCommandWorkflow' AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue('commands')}'`;
  const [{ count: pending }, oldest] = await Promise.all([
    client.workflow.count(running),
    oldestStart(client, running),
  ]);
  const oldestPendingAgeSeconds = oldest
    ? Math.max(0, Math.round((Date.now() - oldest.getTime()) / 1000))
    : null;
  return Promise.all(
    READ_MODELS.map(async (readModel) => {
      const [retrying, failed] = await Promise.all(
        (['retrying', 'failed'] as const).map(async (state) => {
          const q = `${running} AND ProjectionStatus = '${projectionStatusValue(readModel, state)}'`;
          return (await client.workflow.count(q)).count;
        }),
      );
      return {
        readModel,
        pending,
        retrying: retrying ?? 0,
        failed: failed ?? 0,
        oldestPendingAgeSeconds,
      };
    }),
  );
}

async function oldestStart(client: Client, query: string): Promise<Date | null> {
  let oldest: Date | null = null;
  let seen = 0;
  for await (const wf of client.workflow.list({ query, pageSize: 1000 })) {
    if (!oldest || wf.startTime < oldest) oldest = wf.startTime;
    if (++seen >= OLDEST_SCAN_LIMIT) break;
  }
  return oldest;
}
