import type { Client as EsClient } from '@elastic/elasticsearch';
import type { Redis } from 'ioredis';
import type { EventStore, GlobalCheckpoint } from '../eventstore';
import { ordersAlias } from '../projections/elasticsearch/names';
import { createNextOrdersIndex, swapOrdersAlias } from '../projections/elasticsearch/orders-index';
import { bulkWriteOrderDocuments } from '../projections/elasticsearch/write-orders';
import { latestOrderDocuments } from '../projections/order-documents';
import { clearOrderSummaries, clearReportCache } from '../projections/redis/clear';
import { heartbeating } from './keep-alive';

export interface RebuildDeps {
  store: EventStore;
  es: EsClient;
  redis: Redis;
  esPrefix: string;
  redisPrefix: string;
  reportTimeZone: string;
}

export interface RebuildBatchInput {
  index: string;
  after: GlobalCheckpoint;
  limit: number;
}

export interface RebuildBatchResult {
  checkpoint: GlobalCheckpoint;
  events: number;
  orders: number;
  /** The read's horizon: transactions below it had all finished. */
  horizon: string;
}

/**
 * The I/O of a read-model rebuild; every step is idempotent, so retries are safe. Each
 * heartbeats, so the batch of a crashed worker is retried elsewhere within seconds.
 */
export function createRebuildActivities(deps: RebuildDeps) {
  return heartbeating({
    async createRebuildIndex(): Promise<string> {
      return createNextOrdersIndex(deps.es, deps.esPrefix);
    },

    /**
     * Projects the orders touched by the next events of the global order into `index`,
     * each at its latest state (so later batches and live writes only ever move forward).
     */
    async rebuildBatch({ index, after, limit }: RebuildBatchInput): Promise<RebuildBatchResult> {
      const page = await deps.store.readAll(after, limit);
      // The live projectors' reading of the store: one code path for documents.
      const docs = await latestOrderDocuments(deps.store, page.events, deps.reportTimeZone);
      if (docs.length > 0) await bulkWriteOrderDocuments(deps.es, index, docs);
      return {
        checkpoint: page.checkpoint,
        events: page.events.length,
        orders: docs.length,
        horizon: page.horizon,
      };
    },

    /**
     * Points readers and live projections at the rebuilt index. The watermark, taken after
     * the swap, is where the catch-up may stop: every event committed before the swap (so
     * possibly projected into the old index only) comes from a transaction below it.
     */
    async swapToRebuiltIndex(index: string): Promise<{ previous: string[]; watermark: string }> {
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

export type RebuildActivities = ReturnType<typeof createRebuildActivities>;
