import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { subscriberWorkflowId, subscriptionChangedSignal } from '../contracts/subscriptions';
import type { Subscriptions } from '../eventstore';
import { logger } from '../runtime/logger';
import type { subscriberWorkflow } from '../workflows/subscriber';
import { prefixedId, taskQueue } from './task-queues';

export const subscriberId = (subscriptionId: string): string =>
  prefixedId(subscriberWorkflowId(subscriptionId));

/** Starts the subscriber of a subscription unless it runs (one per subscription, always). */
export async function startSubscriber(client: Client, subscriptionId: string): Promise<void> {
  await client.workflow.start<typeof subscriberWorkflow>('subscriberWorkflow', {
    workflowId: subscriberId(subscriptionId),
    taskQueue: taskQueue('webhooks'),
    args: [{ subscriptionId, checkpoint: null, delivered: 0, batches: 0 }],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}

/**
 * Tells the subscriber its row changed (it re-reads it at once), starting it if it is not
 * running: a subscriber lost with the Temporal server's state comes back on the next change.
 */
export async function subscriptionChanged(client: Client, subscriptionId: string): Promise<void> {
  try {
    await client.workflow.getHandle(subscriberId(subscriptionId)).signal(subscriptionChangedSignal);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    await startSubscriber(client, subscriptionId);
  }
}

/** Every subscription in the database has its subscriber running (a worker's start). */
export async function ensureSubscribers(
  client: Client,
  subscriptions: Subscriptions,
): Promise<void> {
  const ids = await subscriptions.ids();
  for (const id of ids) await startSubscriber(client, id);
  if (ids.length > 0) logger.info({ subscriptions: ids.length }, 'subscribers running');
}

/** The visibility query for this deployment's subscribers that are failing or disabled. */
export const troubledSubscribersQuery = (): string =>
  `ExecutionStatus = 'Running' AND WorkflowType = 'subscriberWorkflow' AND SubscriptionStatus IS NOT NULL AND TaskQueue = '${taskQueue('webhooks')}'`;

/** Deletes delivery attempts past their 7 days, at start and hourly; returns the way to stop. */
export function pruneDeliveryAttemptsHourly(subscriptions: Subscriptions): () => void {
  const prune = () =>
    subscriptions.pruneAttempts().then(
      (deleted) => {
        if (deleted > 0) logger.info({ deleted }, 'old webhook delivery attempts deleted');
      },
      (err: unknown) =>
        logger.warn({ err: (err as Error).message }, 'deleting old delivery attempts failed'),
    );
  void prune();
  const timer = setInterval(prune, 3_600_000);
  timer.unref();
  return () => clearInterval(timer);
}
