import {
  continueAsNew,
  defineQuery,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { RebuildActivities } from '../activities/rebuild-activities';
import type { HeldBack } from '../eventstore/held-back';
import { type GlobalCheckpoint, START } from '../eventstore/types';
import type { ReadModel } from './order-command-contract';

/**
 * Events per rebuild batch. 5,000 rather than 2,000: fewer round trips to PostgreSQL and
 * Elasticsearch per event took the rebuild from about 9,000 to about 12,000 events/s
 * (BENCHMARKS.md). Runs started before the change keep 2,000 (see batchSize()).
 */
export const REBUILD_BATCH_SIZE = 5_000;
const PREVIOUS_REBUILD_BATCH_SIZE = 2_000;
const BATCHES_PER_RUN = 20;

export interface RebuildProgress {
  readModel: ReadModel;
  phase: 'copying' | 'catching-up' | 'done';
  /** The fresh index being filled (Elasticsearch). */
  index: string | null;
  checkpoint: GlobalCheckpoint;
  eventsRead: number;
  ordersWritten: number;
  /**
   * Orders the rebuilt index refused for good, parked for an operator (retry or skip)
   * rather than retried: absent in runs started before the field.
   */
  parked?: number;
  startedAt: string;
  swappedAt: string | null;
  /**
   * Swap even when the rebuilt index holds fewer orders than the one it replaces (absent in
   * runs started before the option: not forced).
   */
  force?: boolean;
  /**
   * A transaction left open that the last batch found at its horizon: events committed
   * after it wait (the catch-up cannot end) until it ends. Null when none; absent in runs
   * started before the field.
   */
  heldBack?: HeldBack | null;
  /** Catch-up goes on until the store's read horizon passes this (see swapToRebuiltIndex). */
  watermark: string | null;
  finishedAt: string | null;
}

export const rebuildProgressQuery = defineQuery<RebuildProgress>('progress');

/**
 * A rebuild's progress before its first batch: the workflow's input. `force` absent is what
 * runs started before the option carry.
 */
export function initialRebuildProgress(
  readModel: ReadModel,
  options: { force?: boolean } = {},
): RebuildProgress {
  return {
    readModel,
    phase: 'copying',
    index: null,
    checkpoint: START,
    eventsRead: 0,
    ordersWritten: 0,
    parked: 0,
    startedAt: new Date().toISOString(),
    swappedAt: null,
    ...options,
    watermark: null,
    finishedAt: null,
  };
}

export const rebuildWorkflowId = (readModel: ReadModel): string =>
  `rebuild-read-model-${readModel}`;

function projectionsQueue(): string {
  return workflowInfo().taskQueue.replace(/commands$/, 'projections');
}

/**
 * Rebuilds a read model from the event store under live load: fills a fresh index from
 * the global order (late-commit safe), swaps the alias, catches up what arrived
 * meanwhile, then clears the Redis keys built on the old one. Continues as new between
 * runs of batches, so its history stays small however long the store is.
 */
export async function rebuildReadModelWorkflow(
  progress: RebuildProgress,
): Promise<RebuildProgress> {
  setHandler(rebuildProgressQuery, () => progress);
  const act = proxyActivities<RebuildActivities>({
    taskQueue: projectionsQueue(),
    startToCloseTimeout: '5 minutes',
    // The activities heartbeat: a worker that died mid-batch is given up on after this,
    // and the batch retried on another worker, instead of after the 5 minutes above.
    heartbeatTimeout: '10 seconds',
    retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
  });

  if (progress.readModel === 'redis') {
    await act.clearRedisReadModel('everything');
    return finish(progress);
  }

  progress.index ??= await act.createRebuildIndex();
  const limit = batchSize();
  for (let batch = 0; batch < BATCHES_PER_RUN; batch++) {
    const result = await act.rebuildBatch({
      index: progress.index,
      after: progress.checkpoint,
      limit,
    });
    progress.checkpoint = result.checkpoint;
    progress.eventsRead += result.events;
    progress.ordersWritten += result.orders;
    progress.parked = (progress.parked ?? 0) + (result.parked ?? 0);
    // State only, from the activity's result: no new command, so histories replay as before.
    progress.heldBack = result.heldBack ?? null;
    if (result.events < limit) {
      if (progress.phase === 'copying') {
        // Caught up with the store as it was: readers switch now; what committed since
        // is picked up by the catch-up pass (writes are versioned, so overlap is harmless).
        const swap = await act.swapToRebuiltIndex(progress.index, {
          force: progress.force ?? false,
          checkpoint: progress.checkpoint,
        });
        progress.phase = 'catching-up';
        progress.swappedAt = new Date().toISOString();
        progress.watermark = swap.watermark;
        await act.dropIndices(swap.previous);
        continue;
      }
      // A short page is not enough: a transaction older than the swap may still be open,
      // hiding later ones that committed (and were projected into the old index) before it.
      if (BigInt(result.horizon) < BigInt(progress.watermark ?? '0')) {
        await sleep('200 milliseconds');
        continue;
      }
      await act.clearRedisReadModel('reports');
      return finish(progress);
    }
  }
  return await continueAsNew<typeof rebuildReadModelWorkflow>(progress);
}

// A history recorded with the old size must replay with it: "a short page" depends on it.
function batchSize(): number {
  return patched('rebuild-batch-size-5000') ? REBUILD_BATCH_SIZE : PREVIOUS_REBUILD_BATCH_SIZE;
}

function finish(progress: RebuildProgress): RebuildProgress {
  progress.phase = 'done';
  progress.finishedAt = new Date().toISOString();
  return progress;
}
