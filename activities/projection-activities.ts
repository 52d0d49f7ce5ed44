import { setTimeout as sleep } from 'node:timers/promises';
import type { Client as EsClient } from '@elastic/elasticsearch';
import { context, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { monthIn, orderStreamId, type ReadModel } from '../domain';
import type {
  AppendListener,
  EventStore,
  GlobalCheckpoint,
  ProjectionCheckpoints,
} from '../eventstore';
import type { OrderDocument } from '../projections/elasticsearch';
import {
  bulkWriteOrderDocuments,
  isMonthRolledUp,
  latestOrderDocuments,
  noteMonthChanged,
  orderDocumentsOf,
  ordersAlias,
  rebuildTargets,
  reportSlotsMoved,
} from '../projections/elasticsearch';
import type { RedisClient } from '../projections/redis';
import { invalidateReports, writeOrderSummaries } from '../projections/redis';
import {
  highWaterMark,
  projectorBatchDuration,
  projectorBatchEvents,
  projectorBatchFailures,
  projectorCheckpoint,
} from '../runtime/metrics';
import { whileHeartbeating } from './keep-alive';
import { readAllOrRefuse } from './restore-guard';
import { linksToRequests } from './trace-links';

export interface ProjectionDeps {
  store: EventStore;
  checkpoints: ProjectionCheckpoints;
  listener: AppendListener;
  /** Starts the re-rollup of a month that changed after it was rolled up. */
  requestRerollup: (month: string) => Promise<void>;
  /** Parks an order a read model refuses for good, as its own workflow for operators. */
  parkProjection: (readModel: ReadModel, orderId: string, reason: string) => Promise<void>;
  es: EsClient;
  redis: RedisClient;
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

export interface ProjectBatchInput {
  readModel: ReadModel;
  /** The projector's id: its checkpoint is stored under it. */
  projector: string;
  after: GlobalCheckpoint;
  limit: number;
}

export interface ProjectBatchResult {
  checkpoint: GlobalCheckpoint;
  events: number;
  orders: number;
  /** Orders whose document changed (the others were already at their version or later). */
  written: number;
  /** Orders the read model refused for good, now parked as their own workflows. */
  parked: number;
}

export interface TailEventsInput {
  readModel: ReadModel;
  projector: string;
  after: GlobalCheckpoint;
  /** Events per batch. */
  limit: number;
  /** How long this activity keeps tailing before it returns its checkpoint. */
  forMs: number;
}

export interface TailEventsResult {
  checkpoint: GlobalCheckpoint;
  events: number;
  batches: number;
  parked: number;
  /** Why a batch failed (the checkpoint is before it), or null when the time was up. */
  failure: string | null;
}

/** The later of two checkpoints in the readers' (transaction id, position) order. */
function later(a: GlobalCheckpoint, b: GlobalCheckpoint | undefined): GlobalCheckpoint {
  if (!b) return a;
  const [ta, tb] = [BigInt(a.transactionId), BigInt(b.transactionId)];
  if (tb !== ta) return tb > ta ? b : a;
  return b.position > a.position ? b : a;
}

interface Written {
  written: number;
  stale: number;
  rejected: { orderId: string; reason: string }[];
}

/** The non-retryable failure type of the per-order activities. */
export const PROJECTION_REJECTED = 'ProjectionRejected';

const tracer = trace.getTracer('order-reporting-projections');
const projectedUpTo = highWaterMark(projectorCheckpoint);
/** Correlation ids named on one batch's span at most. */
const MAX_TRACED_CORRELATION_IDS = 100;

/** Waits between looks at the event store while no notification came. */
const LOOK_AGAIN_MS = 1_000;
/** ... and while committed events wait for an older transaction to end (read-your-writes waits 2 s). */
const HELD_BACK_LOOK_MS = 100;
/**
 * The least time between the starts of two Elasticsearch projector batches while events
 * trickle in. Each batch forces a refresh so its documents are searchable before the
 * checkpoint moves (read-your-writes on searches and reports relies on it); a refresh cost
 * Elasticsearch 30–40 ms of CPU on this machine against 5–7 ms for the bulk write, and with
 * every commit its own batch that was ~0.3 of a core at one client. Events that arrive in
 * the gap go into the next batch; a full page still goes on at once.
 */
export const ES_REFRESH_GAP_MS = 250;

/** Well under the projector's heartbeat timeout. */
const HEARTBEAT_EVERY_MS = 1_000;

/**
 * Read-model writers. Each writes orders' whole state at their latest version, so a
 * duplicate, a retry, a replay or an out-of-order run is a no-op.
 */
export function createProjectionActivities(deps: ProjectionDeps) {
  /**
   * The documents in one bulk request, visible to searches on return, and in the index a
   * rebuild is filling, if one is; then the cached reports of every (month, currency) they
   * moved are invalidated (after the documents are searchable, so no reader can re-cache
   * old numbers), and months already rolled up are re-rolled. Documents an index refuses
   * are returned, not thrown.
   */
  async function toElasticsearch(docs: OrderDocument[]): Promise<Written> {
    // Looked up after the caller read its events (see rebuildTargets). Written before the
    // checkpoint moves, so whatever the checkpoint promises is in the rebuilt index when it
    // is swapped in, not only once the rebuild's catch-up gets there.
    const targets = await rebuildTargets(deps.es, deps.esPrefix);
    const writeTo = (index: string) =>
      bulkWriteOrderDocuments(deps.es, index, docs, { rejections: 'report', refresh: true });
    const result = await writeTo(ordersAlias(deps.esPrefix));
    const refused = new Set(result.rejected.map((r) => r.orderId));
    const rejected = [...result.rejected];
    for (const target of targets) {
      for (const r of (await writeTo(target)).rejected) {
        if (!rejected.some((known) => known.orderId === r.orderId)) rejected.push(r);
      }
    }
    const slots = reportSlotsMoved(docs.filter((d) => !refused.has(d.orderId)));
    // Rolled-up state is per month: a change in any slot, a new one too, re-rolls it. Only
    // closed months: an open one is answered live, and rolled up by the schedule once closed.
    // The change is counted on the month before its cache is invalidated, so a reader of the
    // new generation answers live until the re-rollup has it (read-your-writes included).
    const current = monthIn(new Date(), deps.reportTimeZone);
    const rerolled: string[] = [];
    for (const month of new Set(slots.map((s) => s.month))) {
      if (month < current && (await isMonthRolledUp(deps.es, deps.esPrefix, month))) {
        await noteMonthChanged(deps.es, deps.esPrefix, month);
        rerolled.push(month);
      }
    }
    for (const slot of slots) {
      await invalidateReports(deps.redis, deps.redisPrefix, slot.month, slot.currency);
    }
    for (const month of rerolled) await deps.requestRerollup(month);
    return { ...result, rejected };
  }

  async function write(readModel: ReadModel, docs: OrderDocument[]): Promise<Written> {
    if (docs.length === 0) return { written: 0, stale: 0, rejected: [] };
    if (readModel === 'elasticsearch') return toElasticsearch(docs);
    return { ...(await writeOrderSummaries(deps.redis, deps.redisPrefix, docs)), rejected: [] };
  }

  async function projectOne(readModel: ReadModel, orderId: string): Promise<ProjectionResult> {
    const [doc] = await orderDocumentsOf(deps.store, [orderStreamId(orderId)], deps.reportTimeZone);
    if (!doc) {
      throw ApplicationFailure.nonRetryable(`order ${orderId} has no events`, PROJECTION_REJECTED);
    }
    const result = await write(readModel, [doc]);
    const [rejected] = result.rejected;
    if (rejected) throw ApplicationFailure.nonRetryable(rejected.reason, PROJECTION_REJECTED);
    return { version: doc.version, outcome: result.written > 0 ? 'written' : 'stale' };
  }

  /**
   * One batch, measured: empty looks at the store are not batches. `heldBack`: events are
   * committed that an older transaction still open keeps from being read (ReadAllResult).
   */
  async function projectPage(
    readModel: ReadModel,
    projector: string,
    after: GlobalCheckpoint,
    limit: number,
  ): Promise<{ batch: ProjectBatchResult; heldBack: boolean }> {
    const labels = { read_model: readModel };
    const started = performance.now();
    let batch: ProjectBatchResult;
    let highest: number;
    let heldBack: boolean;
    const span = tracer.startSpan(`ProjectBatch:${readModel}`);
    try {
      // Active: the batch's PostgreSQL, Elasticsearch and Redis calls are its children.
      ({ batch, highest, heldBack } = await context.with(
        trace.setSpan(context.active(), span),
        () => projectPageOnce(readModel, projector, after, limit, span),
      ));
    } catch (err) {
      projectorBatchFailures.inc(labels);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
    if (batch.events > 0) {
      projectorBatchEvents.observe(labels, batch.events);
      projectorBatchDuration.observe(labels, (performance.now() - started) / 1000);
      projectedUpTo.raise(readModel, highest);
    }
    return { batch, heldBack };
  }

  async function projectPageOnce(
    readModel: ReadModel,
    projector: string,
    after: GlobalCheckpoint,
    limit: number,
    span: Span,
  ): Promise<{ batch: ProjectBatchResult; highest: number; heldBack: boolean }> {
    const page = await readAllOrRefuse(deps.store, after, limit);
    // The batch carries other commands' events than its trace's: their correlation ids lead
    // from a command (its request span has the same id) to the batch that projected it.
    span.addLinks(
      linksToRequests(
        page.events.map((e) => e.metadata.traceparent),
        MAX_TRACED_CORRELATION_IDS,
      ),
    );
    span.setAttributes({
      'app.events': page.events.length,
      'app.correlation_ids': [...new Set(page.events.map((e) => e.metadata.correlationId))].slice(
        0,
        MAX_TRACED_CORRELATION_IDS,
      ),
    });
    const docs = await latestOrderDocuments(deps.store, page.events, deps.reportTimeZone);
    const { written, rejected } = await write(readModel, docs);
    for (const r of rejected) await deps.parkProjection(readModel, r.orderId, r.reason);
    if (page.events.length > 0) await deps.checkpoints.save(projector, page.checkpoint);
    return {
      batch: {
        checkpoint: page.checkpoint,
        events: page.events.length,
        orders: docs.length,
        written,
        parked: rejected.length,
      },
      highest: Math.max(0, ...page.events.map((e) => e.globalPosition)),
      heldBack: page.heldBack,
    };
  }

  return {
    /**
     * The projector's steady state: for `forMs`, projects every batch as soon as it is
     * committed (the commit's notification wakes it within milliseconds), heartbeating its
     * checkpoint, then returns it. A worker lost meanwhile is noticed by the heartbeat
     * timeout, and the retry resumes from the last heartbeat's checkpoint. A failing batch
     * ends it early with the failure, for the workflow to retry durably and visibly.
     */
    async tailEvents(input: TailEventsInput): Promise<TailEventsResult> {
      const context = Context.current();
      let after = later(input.after, context.info.heartbeatDetails as GlobalCheckpoint | undefined);
      const result: TailEventsResult = {
        checkpoint: after,
        events: 0,
        batches: 0,
        parked: 0,
        failure: null,
      };
      const beat = setInterval(() => context.heartbeat(after), HEARTBEAT_EVERY_MS);
      const stopped = context.cancelled.then(
        () => undefined,
        () => undefined,
      );
      let cancelled = false;
      void stopped.then(() => {
        cancelled = true;
      });
      try {
        const until = Date.now() + input.forMs;
        while (!cancelled && Date.now() < until) {
          // Taken before looking: a commit notified while we look still wakes the wait.
          const sequence = deps.listener.sequence;
          const batchStarted = Date.now();
          let batch: ProjectBatchResult;
          let heldBack: boolean;
          try {
            ({ batch, heldBack } = await projectPage(
              input.readModel,
              input.projector,
              after,
              input.limit,
            ));
          } catch (err) {
            result.failure = (err as Error).message ?? String(err);
            break;
          }
          after = batch.checkpoint;
          result.checkpoint = after;
          result.events += batch.events;
          result.parked += batch.parked;
          if (batch.events > 0) result.batches++;
          // A full page: more is waiting, go on at once.
          if (batch.events >= input.limit) continue;
          if (input.readModel === 'elasticsearch' && batch.events > 0) {
            const rest = Math.min(batchStarted + ES_REFRESH_GAP_MS, until) - Date.now();
            if (rest > 0) await Promise.race([sleep(rest), stopped]);
          }
          // Committed events wait for an older transaction to end: nothing will notify that
          // end (it may have appended nothing, or be in another database of the cluster).
          const wait = heldBack ? HELD_BACK_LOOK_MS : LOOK_AGAIN_MS;
          await Promise.race([
            deps.listener.waitAfter(sequence, Math.min(wait, until - Date.now())),
            stopped,
          ]);
        }
      } finally {
        clearInterval(beat);
      }
      return result;
    },

    /**
     * Projects the next events of the global order (late-commit safe) into one read model:
     * the latest state of every order they touched, in one bulk write; orders refused for
     * good are parked and the batch goes on. Then records the projector's checkpoint.
     * Heartbeating: a worker lost mid-batch is noticed by the heartbeat timeout, not the
     * minute of start-to-close, and the retry runs on another worker within seconds.
     */
    async projectBatch({
      readModel,
      projector,
      after,
      limit,
    }: ProjectBatchInput): Promise<ProjectBatchResult> {
      return whileHeartbeating(
        async () => (await projectPage(readModel, projector, after, limit)).batch,
      );
    },

    /** Projects one order's latest state (a parked order retried by an operator). */
    async projectOrder({
      readModel,
      orderId,
    }: {
      readModel: ReadModel;
      orderId: string;
    }): Promise<ProjectionResult> {
      return projectOne(readModel, orderId);
    },

    // The per-command activities of command workflows started before the projectors
    // existed; kept registered until those runs have drained.
    async projectOrderToElasticsearch({ orderId }: ProjectOrderInput): Promise<ProjectionResult> {
      return projectOne('elasticsearch', orderId);
    },

    async projectOrderToRedis({ orderId }: ProjectOrderInput): Promise<ProjectionResult> {
      return projectOne('redis', orderId);
    },
  };
}

export type ProjectionActivities = ReturnType<typeof createProjectionActivities>;
