import type { Client as EsClient } from '@elastic/elasticsearch';
import { ApplicationFailure } from '@temporalio/activity';
import type { Redis } from 'ioredis';
import { fold, type Order, upcast } from '../domain';
import type { EventStore } from '../eventstore';
import { ordersAlias } from '../projections/elasticsearch/names';
import { type OrderDocument, toOrderDocument } from '../projections/elasticsearch/order-document';
import { isRolledUp } from '../projections/elasticsearch/rollups';
import {
  NonRetryableProjectionError,
  writeOrderDocument,
} from '../projections/elasticsearch/write-orders';
import { writeOrderSummary } from '../projections/redis/order-cache';
import { invalidateReports } from '../projections/redis/report-cache';
import { orderStreamId } from '../workflows/order-command-contract';

export interface ProjectionDeps {
  store: EventStore;
  /** Starts the re-rollup of a month that changed after it was rolled up. */
  requestRerollup: (month: string) => Promise<void>;
  es: EsClient;
  redis: Redis;
  esPrefix: string;
  redisPrefix: string;
  reportTimeZone: string;
}

/** Ids only: each activity reads the order's current state itself. */
export interface ProjectOrderInput {
  orderId: string;
  /** The version the caller committed; the projection writes this version or a later one. */
  version: number;
}

export interface ProjectionResult {
  version: number;
  outcome: 'written' | 'stale';
}

/** The non-retryable failure type; the workflow's retry policy lists it. */
export const PROJECTION_REJECTED = 'ProjectionRejected';

/**
 * Read-model writers. Each writes the order's whole state at its latest version, so a
 * duplicate, a retry or an out-of-order run is a no-op.
 */
export function createProjectionActivities(deps: ProjectionDeps) {
  async function currentDocument(orderId: string): Promise<OrderDocument> {
    const events = await deps.store.readStream(orderStreamId(orderId));
    const state = fold(events.map(upcast));
    if (state.status === 'none') {
      throw ApplicationFailure.nonRetryable(`order ${orderId} has no events`, PROJECTION_REJECTED);
    }
    return toOrderDocument(state as Order, events.length, deps.reportTimeZone);
  }

  return {
    /**
     * The order document, then — when the change moves report numbers — invalidation of
     * the cached reports of its month, after the document is visible to searches so no
     * reader can re-cache the old numbers.
     */
    async projectOrderToElasticsearch({ orderId }: ProjectOrderInput): Promise<ProjectionResult> {
      const doc = await currentDocument(orderId);
      const movesReports =
        doc.reportMonth !== null && (doc.status === 'completed' || doc.status === 'refunded');
      let outcome: 'written' | 'stale';
      try {
        outcome = await writeOrderDocument(deps.es, ordersAlias(deps.esPrefix), doc, {
          waitForRefresh: movesReports,
        });
      } catch (err) {
        if (err instanceof NonRetryableProjectionError) {
          throw ApplicationFailure.nonRetryable((err as Error).message, PROJECTION_REJECTED);
        }
        throw err;
      }
      if (movesReports && doc.reportMonth) {
        await invalidateReports(deps.redis, deps.redisPrefix, doc.reportMonth, doc.currency);
        // A late completion or refund in a month already rolled up: re-roll it (debounced).
        if (await isRolledUp(deps.es, deps.esPrefix, doc.reportMonth, doc.currency)) {
          await deps.requestRerollup(doc.reportMonth);
        }
      }
      return { version: doc.version, outcome };
    },

    /** The hot copy of the order that `orders.get` reads first. */
    async projectOrderToRedis({ orderId }: ProjectOrderInput): Promise<ProjectionResult> {
      const doc = await currentDocument(orderId);
      return {
        version: doc.version,
        outcome: await writeOrderSummary(deps.redis, deps.redisPrefix, doc),
      };
    },
  };
}

export type ProjectionActivities = ReturnType<typeof createProjectionActivities>;
