import { continueAsNew, patched, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { RebuildActivities } from '../activities/rebuild-activities';
import { type RebuildProgress, rebuildProgressQuery } from '../contracts/projection-controls';
import { projectionsQueue } from './projections-queue';

/**
 * Events per rebuild batch. 5,000 rather than 2,000: fewer round trips to PostgreSQL and
 * Elasticsearch per event took the rebuild from about 9,000 to about 12,000 events/s
 * (BENCHMARKS.md). Runs started before the change keep 2,000 (see batchSize()).
 */
export const REBUILD_BATCH_SIZE = 5_000;
const PREVIOUS_REBUILD_BATCH_SIZE = 2_000;
const BATCHES_PER_RUN = 20;

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
