import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { webhookBody, webhookEventType, webhookMessageId } from '../domain/webhook-payload';
import { deliveryVerdict, parseRetryAfter, retryDelayMs } from '../domain/webhook-retries';
import { webhookHeaders } from '../domain/webhook-signature';
import {
  type AllReader,
  type AppendListener,
  type DeliveryAttempt,
  type GlobalCheckpoint,
  type StoredEvent,
  type SubscriptionForDelivery,
  type Subscriptions,
  sharedReads,
} from '../eventstore';
import { logger } from '../runtime/logger';
import { subscriptionDeliveries, subscriptionDeliveryDuration } from '../runtime/metrics';
import { readAllOrRefuse } from './restore-guard';
import { postWebhook } from './webhook-http';

export interface SubscriptionDeps {
  store: AllReader;
  subscriptions: Subscriptions;
  listener: AppendListener;
  allowPrivateUrls: boolean;
  /** Seconds before each retry; when spent, the subscription is disabled. */
  retrySchedule: readonly number[];
  deliveryTimeoutMs: number;
}

/** Orders of one batch delivered at once to one endpoint. */
const PARALLEL_ORDERS = 8;
const LOOK_AGAIN_MS = 1_000;
const HELD_BACK_LOOK_MS = 100;
const HEARTBEAT_EVERY_MS = 1_000;
/** How long a subscriber waits after a commit's notification before it reads. */
const GATHER_MS = 100;
/** How long one page of the event store may serve the process's other subscribers. */
const PAGE_REUSE_MS = 50;

/** Why an activity stopped: time up (all well), the endpoint failing, or nothing to do. */
export type SubscriberOutcome = 'time-up' | 'failing' | 'disabled' | 'deleted';

export interface SubscriberResult {
  outcome: SubscriberOutcome;
  checkpoint: GlobalCheckpoint | null;
  delivered: number;
  batches: number;
  /** 'failing': positions of the failed batch already acknowledged (not sent again). */
  acked: Acked;
  /** 'failing': when to retry (the schedule's first step, or Retry-After). */
  retryInMs: number;
  error: string | null;
}

/** Positions acknowledged in the failing batch of one generation (a replay starts another). */
export interface Acked {
  generation: number;
  positions: number[];
}

interface BatchOutcome {
  kind: 'done' | 'failed' | 'gone' | 'disabled' | 'deleted';
  checkpoint: GlobalCheckpoint | null;
  delivered: number;
  /** The page was full: more is waiting. */
  full: boolean;
  heldBack: boolean;
  error: string | null;
  retryAfterMs: number | null;
}

/** The delivering side of a subscription: one batch at a time, orders in parallel. */
export function createSubscriptionActivities(deps: SubscriptionDeps) {
  // Subscribers woken by one commit read one page between them (eventstore/shared-reads.ts).
  const pages = sharedReads(deps.store, {
    reuseMs: PAGE_REUSE_MS,
    notified: () => deps.listener.sequence,
  });
  async function deliverOne(
    sub: SubscriptionForDelivery,
    event: StoredEvent,
    attempt: number,
    signal: AbortSignal,
  ): Promise<DeliveryAttempt & { retryAfterMs: number | null }> {
    const messageId = webhookMessageId(sub.id, event.eventId);
    const base = {
      subscriptionId: sub.id,
      messageId,
      eventType: webhookEventType(event.type) ?? event.type,
      position: event.globalPosition,
      attempt,
    };
    const body = webhookBody(event);
    const timestamp = Math.floor(Date.now() / 1000);
    const started = performance.now();
    try {
      const res = await postWebhook(
        sub.url,
        webhookHeaders({ id: messageId, timestamp, body }, sub.secrets),
        body,
        { allowPrivate: deps.allowPrivateUrls, timeoutMs: deps.deliveryTimeoutMs, signal },
      );
      const verdict = deliveryVerdict(res.status);
      const outcome =
        verdict === 'delivered' ? 'delivered' : verdict === 'gone' ? 'gone' : 'failed';
      return {
        ...base,
        outcome,
        statusCode: res.status,
        durationMs: res.durationMs,
        error: outcome === 'delivered' ? null : `endpoint answered ${res.status}`,
        retryAfterMs: parseRetryAfter(res.retryAfter, Date.now()),
      };
    } catch (err) {
      const refused = (err as Error).name === 'AddressRefusedError';
      return {
        ...base,
        outcome: refused ? 'refused' : 'failed',
        statusCode: null,
        durationMs: Math.round(performance.now() - started),
        error: (err as Error).message,
        retryAfterMs: null,
      };
    }
  }

  /**
   * The next page after the subscription's checkpoint: its events of the subscribed types,
   * each order's in version order and different orders in parallel. An order stops at its
   * first failure (its later events wait); the checkpoint moves past the page only when
   * every event in it is acknowledged.
   */
  async function deliverBatch(
    id: string,
    limit: number,
    attempt: number,
    acked: Acked,
    signal: AbortSignal,
  ): Promise<BatchOutcome> {
    const none = { delivered: 0, full: false, heldBack: false, error: null, retryAfterMs: null };
    const sub = await deps.subscriptions.forDelivery(id);
    if (!sub) return { kind: 'deleted', checkpoint: null, ...none };
    if (!sub.enabled) return { kind: 'disabled', checkpoint: sub.checkpoint, ...none };
    // What an earlier attempt acknowledged is not sent again, unless a replay came between.
    if (acked.generation !== sub.generation) {
      acked.generation = sub.generation;
      acked.positions = [];
    }
    const skip = new Set(acked.positions);
    const page = await readAllOrRefuse(pages, sub.checkpoint, limit);
    const wanted = page.events.filter((e) => {
      const type = webhookEventType(e.type);
      return type !== null && (sub.eventTypes === null || sub.eventTypes.includes(type));
    });
    const byOrder = new Map<string, StoredEvent[]>();
    for (const e of wanted) {
      if (skip.has(e.globalPosition)) continue;
      const list = byOrder.get(e.streamId);
      if (list) list.push(e);
      else byOrder.set(e.streamId, [e]);
    }
    const attempts: (DeliveryAttempt & { retryAfterMs: number | null })[] = [];
    const queue = [...byOrder.values()];
    // After a failure no further order is started: the batch is retried anyway, and an
    // endpoint that is down (or answers only at the deadline) costs one attempt per order
    // in flight, not one per order of the batch.
    let stopping = false;
    const worker = async () => {
      for (let events = queue.shift(); events && !stopping; events = queue.shift()) {
        for (const event of events) {
          if (signal.aborted) return;
          const result = await deliverOne(sub, event, attempt, signal);
          attempts.push(result);
          subscriptionDeliveries.inc({ outcome: result.outcome });
          subscriptionDeliveryDuration.observe(result.durationMs / 1000);
          if (result.outcome !== 'delivered') {
            stopping = true;
            break;
          }
          acked.positions.push(event.globalPosition);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_ORDERS, queue.length) }, worker));
    const recorded = attempts.map(({ retryAfterMs: _, ...a }) => a);
    const failures = attempts.filter((a) => a.outcome !== 'delivered');
    const delivered = attempts.length - failures.length;
    if (signal.aborted) {
      await deps.subscriptions.recordAttempts(recorded);
      throw new CancelledFailure('cancelled mid-batch');
    }
    if (failures.length > 0) await deps.subscriptions.recordAttempts(recorded);
    const gone = failures.find((f) => f.outcome === 'gone');
    if (gone) {
      await deps.subscriptions.disable(id, `the endpoint answered 410 Gone (${gone.messageId})`);
      logger.warn({ subscriptionId: id }, 'subscription disabled: its endpoint answered 410 Gone');
      return { ...none, kind: 'gone', checkpoint: sub.checkpoint, delivered };
    }
    const failed = failures[0];
    if (failed) {
      await deps.subscriptions.noteFailed(id, failed.error ?? 'failed', failed.statusCode);
      const retryAfter = Math.max(-1, ...failures.map((f) => f.retryAfterMs ?? -1));
      return {
        ...none,
        kind: 'failed',
        checkpoint: sub.checkpoint,
        delivered,
        error: failed.error,
        retryAfterMs: retryAfter >= 0 ? retryAfter : null,
      };
    }
    // One statement per batch: every commit wakes every subscriber.
    if (page.events.length > 0) {
      await deps.subscriptions.finishBatch(id, sub.generation, page.checkpoint, recorded);
    }
    return {
      ...none,
      kind: 'done',
      checkpoint: page.checkpoint,
      delivered,
      full: page.events.length >= limit,
      heldBack: page.heldBack,
    };
  }

  const result = (
    outcome: SubscriberOutcome,
    checkpoint: GlobalCheckpoint | null,
  ): SubscriberResult => ({
    outcome,
    checkpoint,
    delivered: 0,
    batches: 0,
    acked: { generation: -1, positions: [] },
    retryInMs: 0,
    error: null,
  });

  return {
    /**
     * A subscriber's steady state: for `forMs`, delivers every batch as soon as it is
     * committed, then returns. A failing batch ends it early with what was acknowledged,
     * for the workflow to retry durably (deliverSubscriptionBatch) on the schedule.
     */
    async tailSubscription(input: {
      subscriptionId: string;
      limit: number;
      forMs: number;
    }): Promise<SubscriberResult> {
      const context = Context.current();
      // A retry after a lost worker skips what the lost one had acknowledged of its batch.
      let acked: Acked = (context.info.heartbeatDetails as Acked | undefined) ?? {
        generation: -1,
        positions: [],
      };
      const beat = setInterval(() => context.heartbeat(acked), HEARTBEAT_EVERY_MS);
      const out = result('time-up', null);
      try {
        const until = Date.now() + input.forMs;
        while (!context.cancellationSignal.aborted && Date.now() < until) {
          const sequence = deps.listener.sequence;
          const batch = await deliverBatch(
            input.subscriptionId,
            input.limit,
            1,
            acked,
            context.cancellationSignal,
          );
          out.delivered += batch.delivered;
          if (batch.checkpoint) out.checkpoint = batch.checkpoint;
          if (batch.kind === 'deleted' || batch.kind === 'disabled')
            return { ...out, outcome: batch.kind };
          if (batch.kind === 'gone') return { ...out, outcome: 'disabled' };
          if (batch.kind === 'failed') {
            const wait = retryDelayMs(1, deps.retrySchedule, batch.retryAfterMs, Math.random());
            return {
              ...out,
              outcome: 'failing',
              acked,
              retryInMs: wait ?? 0,
              error: batch.error,
            };
          }
          if (batch.delivered > 0) out.batches++;
          acked = { generation: acked.generation, positions: [] };
          if (batch.full) continue;
          const wait = batch.heldBack ? HELD_BACK_LOOK_MS : LOOK_AGAIN_MS;
          const notified = await deps.listener.waitAfter(
            sequence,
            Math.max(0, Math.min(wait, until - Date.now())),
          );
          // Every commit notifies every subscriber: waiting a moment gathers the commits
          // of that moment into one batch (one read, one statement) instead of one each.
          if (notified) await new Promise((r) => setTimeout(r, GATHER_MS));
        }
        return out;
      } finally {
        clearInterval(beat);
      }
    },

    /**
     * The failing batch, retried by Temporal: each failed attempt asks for its next retry
     * after the schedule's step for it (jittered, or the endpoint's Retry-After); when the
     * schedule is spent the subscription is disabled, its checkpoint kept, and this returns.
     */
    async deliverSubscriptionBatch(input: {
      subscriptionId: string;
      limit: number;
      acked: Acked;
    }): Promise<SubscriberResult> {
      const context = Context.current();
      const { attempt } = context.info;
      // The previous attempt's heartbeats say what it acknowledged; the first has the tail's.
      const acked = (context.info.heartbeatDetails as Acked | undefined) ?? {
        generation: input.acked.generation,
        positions: [...input.acked.positions],
      };
      const beat = setInterval(() => context.heartbeat(acked), HEARTBEAT_EVERY_MS);
      try {
        const batch = await deliverBatch(
          input.subscriptionId,
          input.limit,
          attempt + 1,
          acked,
          context.cancellationSignal,
        );
        const out = { ...result('time-up', batch.checkpoint), delivered: batch.delivered };
        if (batch.kind === 'deleted' || batch.kind === 'disabled')
          return { ...out, outcome: batch.kind };
        if (batch.kind === 'gone') return { ...out, outcome: 'disabled' };
        if (batch.kind === 'done') return { ...out, batches: batch.delivered > 0 ? 1 : 0 };
        // The tail's failure was the first; this attempt's is one more.
        const wait = retryDelayMs(
          attempt + 1,
          deps.retrySchedule,
          batch.retryAfterMs,
          Math.random(),
        );
        if (wait === null) {
          const reason = `retries spent after ${attempt + 1} failures (last: ${batch.error})`;
          await deps.subscriptions.disable(input.subscriptionId, reason);
          logger.warn({ subscriptionId: input.subscriptionId, reason }, 'subscription disabled');
          return { ...out, outcome: 'disabled', error: batch.error };
        }
        context.heartbeat(acked);
        throw ApplicationFailure.create({
          message: batch.error ?? 'delivery failed',
          type: 'DeliveryFailed',
          nextRetryDelay: wait,
        });
      } finally {
        clearInterval(beat);
      }
    },
  };
}

export type SubscriptionActivities = ReturnType<typeof createSubscriptionActivities>;
