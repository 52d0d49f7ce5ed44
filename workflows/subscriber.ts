import {
  ActivityCancellationType,
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  SubscriberResult,
  SubscriptionActivities,
} from '../activities/subscription-activities';
import { SUBSCRIPTION_STATUS } from '../contracts/search-attributes';
import {
  type SubscriberState,
  type SubscriptionStatus,
  subscriberStateQuery,
  subscriptionChangedSignal,
} from '../contracts/subscriptions';

/** Events read per batch (of every type: those not subscribed to only move the checkpoint). */
export const SUBSCRIBER_BATCH_SIZE = 100;
/** How long one tailing activity runs. */
const TAIL_MS = 60_000;
/** Activities per run: continue-as-new keeps the history small. */
const ACTIVITIES_PER_RUN = 200;

/**
 * One webhook subscription's subscriber: tails the event store in its late-commit-safe
 * order from the subscription's checkpoint (its database row, re-read before each batch)
 * and delivers batch by batch. When the endpoint fails, the failing batch is retried by
 * Temporal on the retry schedule, the workflow flagged `SubscriptionStatus = "failing"`;
 * when the schedule is spent or the endpoint answers 410, the subscription is disabled
 * (flagged "disabled", checkpoint kept) and waits for an operator. Every change to the row
 * (update, enable, replay, rotation, delete) is signalled and interrupts what runs.
 */
export async function subscriberWorkflow(state: SubscriberState): Promise<'deleted'> {
  let changes = 0;
  let status: SubscriptionStatus | null = null;
  setHandler(subscriptionChangedSignal, () => {
    changes++;
  });
  setHandler(subscriberStateQuery, () => state);
  const common = {
    heartbeatTimeout: '30 seconds',
    // A change waits until the running activity has stopped: two deliverers of one
    // subscription at once could send an order's events out of order.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  } as const;
  const { tailSubscription } = proxyActivities<SubscriptionActivities>({
    ...common,
    startToCloseTimeout: TAIL_MS * 3,
    retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
  });
  const { deliverSubscriptionBatch } = proxyActivities<SubscriptionActivities>({
    ...common,
    startToCloseTimeout: '10 minutes',
    // Failed deliveries set their own next retry (the schedule, with jitter, or Retry-After);
    // this policy only paces other failures (the event store unreachable).
    retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
  });

  const setStatus = (next: SubscriptionStatus | null) => {
    if (next === status) return;
    status = next;
    upsertSearchAttributes([{ key: SUBSCRIPTION_STATUS, value: next }]);
  };

  /** Runs `activity` until it ends, or a change cancels it: then null. */
  const untilChanged = async (
    activity: () => Promise<SubscriberResult>,
  ): Promise<SubscriberResult | null> => {
    const seen = changes;
    const scope = new CancellationScope();
    let result: SubscriberResult | undefined;
    let failure: unknown;
    const running = scope.run(activity).then(
      (r) => {
        result = r;
      },
      (err: unknown) => {
        failure = err ?? new Error('activity failed');
      },
    );
    await condition(() => result !== undefined || failure !== undefined || changes > seen);
    if (result === undefined && failure === undefined) {
      scope.cancel();
      await running;
      if (result !== undefined) return result;
      if (isCancellation(failure)) return null;
    }
    if (failure !== undefined) throw failure;
    return result ?? null;
  };

  const absorb = (r: SubscriberResult) => {
    if (r.checkpoint) state.checkpoint = r.checkpoint;
    state.delivered += r.delivered;
    state.batches += r.batches;
  };

  for (let i = 0; i < ACTIVITIES_PER_RUN && !workflowInfo().continueAsNewSuggested; i++) {
    const seen = changes;
    let result = await untilChanged(() =>
      tailSubscription({
        subscriptionId: state.subscriptionId,
        limit: SUBSCRIBER_BATCH_SIZE,
        forMs: TAIL_MS,
      }),
    );
    if (!result) continue;
    absorb(result);
    if (result.outcome === 'failing') {
      setStatus('failing');
      // The first retry after its step of the schedule; a change (a new URL, a disable) ends the wait.
      if (await condition(() => changes > seen, result.retryInMs)) continue;
      const acked = result.acked;
      result = await untilChanged(() =>
        deliverSubscriptionBatch({
          subscriptionId: state.subscriptionId,
          limit: SUBSCRIBER_BATCH_SIZE,
          acked,
        }),
      );
      if (!result) continue;
      absorb(result);
    }
    if (result.outcome === 'deleted') return 'deleted';
    if (result.outcome === 'disabled') {
      setStatus('disabled');
      await condition(() => changes > seen);
      // Enabled, most likely: a subscription still disabled says so again at once.
      setStatus(null);
      continue;
    }
    setStatus(null);
  }
  await condition(allHandlersFinished);
  return await continueAsNew<typeof subscriberWorkflow>(state);
}
