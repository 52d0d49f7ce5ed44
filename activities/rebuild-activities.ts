import type { Client as EsClient } from '@elastic/elasticsearch';
import { ApplicationFailure } from '@temporalio/activity';
import type pg from 'pg';
import { orderStreamId, type ReadModel } from '../domain';
import {
  checkRestoredEvents,
  type EventStore,
  type GlobalCheckpoint,
  type HeldBack,
  heldBackAt,
  restoredEventsMessage,
  streamsStartedAfter,
} from '../eventstore';
import {
  bulkWriteOrderDocuments,
  createNextOrdersIndex,
  currentOrdersIndex,
  latestOrderDocuments,
  markRebuildTarget,
  ordersAlias,
  swapOrdersAlias,
} from '../projections/elasticsearch';
import type { RedisClient } from '../projections/redis';
import { clearOrderSummaries, clearReportCache } from '../projections/redis';
import { heartbeating } from './keep-alive';
import { readAllOrRefuse } from './restore-guard';

export interface RebuildDeps {
  store: EventStore;
  pool: pg.Pool;
  es: EsClient;
  redis: RedisClient;
  esPrefix: string;
  /** ELASTICSEARCH_REPLICAS for the index a rebuild creates; unset: projections' default. */
  esReplicas?: string;
  redisPrefix: string;
  reportTimeZone: string;
  /** Parks an order the read model refuses for good, as the live projector does. */
  parkProjection: (readModel: ReadModel, orderId: string, reason: string) => Promise<void>;
}

export interface RebuildBatchInput {
  index: string;
  after: GlobalCheckpoint;
  limit: number;
}

/** Non-retryable failure types of the rebuild: retrying cannot change the answer. */
export const RESTORED_EVENTS_INVISIBLE = 'RestoredEventsInvisible';
export const REBUILT_INDEX_SMALLER = 'RebuiltIndexSmaller';

export interface SwapOptions {
  /** Swap even when the rebuilt index holds fewer orders than the one it replaces. */
  force: boolean;
  /** Where the copy stopped: orders started after it are not in the rebuilt index yet. */
  checkpoint: GlobalCheckpoint;
}

export interface RebuildBatchResult {
  checkpoint: GlobalCheckpoint;
  events: number;
  orders: number;
  /**
   * Orders the index refused for good (HTTP 400), parked as the live projector parks them
   * (absent from results of workers before this field).
   */
  parked?: number;
  /** The read's horizon: transactions below it had all finished. */
  horizon: string;
  /**
   * On a short page: the transaction still open at the horizon, holding the rebuild back
   * (null when none is; absent from results of workers before this field).
   */
  heldBack?: HeldBack | null;
  /**
   * The highest global position among the events read (positions are not the readers'
   * order: it may be past the checkpoint's); absent when none were read.
   */
  highestPosition?: number;
}

/**
 * The I/O of a read-model rebuild; every step is idempotent, so retries are safe. Each
 * heartbeats, so the batch of a crashed worker is retried elsewhere within seconds.
 */
export function createRebuildActivities(deps: RebuildDeps) {
  return heartbeating({
    /**
     * Refuses when the store's events were restored from another cluster: the reader would
     * see none of them, and the rebuild would end in an empty index.
     */
    async createRebuildIndex(): Promise<string> {
      const restore = await checkRestoredEvents(deps.pool);
      if (restore.restored) {
        throw ApplicationFailure.nonRetryable(
          restoredEventsMessage(restore),
          RESTORED_EVENTS_INVISIBLE,
        );
      }
      const index = await createNextOrdersIndex(deps.es, deps.esPrefix, deps.esReplicas);
      // Before the copy reads anything: from here on the live projector writes here too.
      await markRebuildTarget(deps.es, deps.esPrefix, index);
      return index;
    },

    /**
     * Projects the orders touched by the next events of the global order into `index`,
     * each at its latest state (so later batches and live writes only ever move forward).
     * An order the index refuses for good is parked, as the live projector parks it, and
     * the batch goes on: retrying cannot change a 400, and the swap must not wait on it.
     */
    async rebuildBatch({ index, after, limit }: RebuildBatchInput): Promise<RebuildBatchResult> {
      // Marked at its creation; again here for a rebuild whose index was created before the
      // mark existed (a no-op once marked or swapped in).
      await markRebuildTarget(deps.es, deps.esPrefix, index);
      const page = await readAllOrRefuse(deps.store, after, limit);
      // The live projectors' reading of the store: one code path for documents.
      const docs = await latestOrderDocuments(deps.store, page.events, deps.reportTimeZone);
      const { rejected } = await bulkWriteOrderDocuments(deps.es, index, docs, {
        rejections: 'report',
      });
      for (const r of rejected) await deps.parkProjection('elasticsearch', r.orderId, r.reason);
      return {
        checkpoint: page.checkpoint,
        events: page.events.length,
        orders: docs.length,
        parked: rejected.length,
        horizon: page.horizon,
        // Only a short page can be waiting for a transaction; a full one reads on anyway.
        heldBack: page.events.length < limit ? await heldBackAt(deps.pool, page.horizon) : null,
        ...(page.events.length > 0
          ? { highestPosition: Math.max(...page.events.map((e) => e.globalPosition)) }
          : {}),
      };
    },

    /**
     * Points readers and live projections at the rebuilt index. The watermark, taken after
     * the swap, is where the catch-up may stop: every event committed before the swap (so
     * possibly projected into the old index only) comes from a transaction below it.
     */
    async swapToRebuiltIndex(
      index: string,
      // Absent when scheduled by a worker from before the option: checked, not forced.
      options?: SwapOptions,
    ): Promise<{ previous: string[]; watermark: string }> {
      if (!options?.force) await refuseSmallerIndex(deps, index, options?.checkpoint);
      const previous = await swapOrdersAlias(deps.es, deps.esPrefix, index);
      return { previous, watermark: await deps.store.watermark() };
    },

    async dropIndices(indices: string[]): Promise<void> {
      const alias = ordersAlias(deps.esPrefix);
      const keep = Object.keys(await deps.es.indices.getAlias({ name: alias }));
      const drop = indices.filter((i) => !keep.includes(i));
      if (drop.length > 0) await deps.es.indices.delete({ index: drop, ignore_unavailable: true });
    },

    async clearRedisReadModel(what: 'reports' | 'everything'): Promise<number> {
      const reports = await clearReportCache(deps.redis, deps.redisPrefix);
      return what === 'everything'
        ? reports + (await clearOrderSummaries(deps.redis, deps.redisPrefix))
        : reports;
    },
  });
}

/**
 * Throws a non-retryable failure when the rebuilt index holds fewer orders than the alias's
 * current index, allowing for the orders started after the copy's checkpoint (live
 * projections put those in the current index only, until the catch-up): a smaller index
 * means the rebuild did not see events the old one was built from (a restore, a store
 * emptied by mistake), and swapping would drop the full index for good.
 */
async function refuseSmallerIndex(
  deps: RebuildDeps,
  index: string,
  checkpoint: GlobalCheckpoint | undefined,
): Promise<void> {
  const current = await currentOrdersIndex(deps.es, deps.esPrefix);
  if (!current || current === index) return;
  await deps.es.indices.refresh({ index: [index, current] });
  const [rebuilt, replaced] = await Promise.all([
    deps.es.count({ index }).then((r) => r.count),
    deps.es.count({ index: current }).then((r) => r.count),
  ]);
  if (rebuilt >= replaced) return;
  const startedSince = checkpoint
    ? await streamsStartedAfter(deps.pool, checkpoint, orderStreamId(''))
    : 0;
  if (rebuilt + startedSince >= replaced) return;
  // A forced rebuild starts over in a new index: this one would only be left behind.
  await deps.es.indices.delete({ index, ignore_unavailable: true });
  throw ApplicationFailure.nonRetryable(
    `the rebuilt index ${index} holds ${rebuilt} orders, fewer than the ${replaced} of ${current} it would replace (${startedSince} orders started since the copy): not swapped and deleted, ${current} stays in use. If the event store really holds fewer orders, start the rebuild again with admin.projections.rebuild { readModel: 'elasticsearch', force: true }`,
    REBUILT_INDEX_SMALLER,
  );
}

export type RebuildActivities = ReturnType<typeof createRebuildActivities>;
