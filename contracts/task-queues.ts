// Task-queue names: the API and the workers name them from the configuration's prefix, a
// workflow from the queue it runs on. One rule, here.

/** Every kind of queue, in the order workers start them (`--queues` lists some of them). */
export const QUEUE_KINDS = ['commands', 'projections', 'webhooks'] as const;
export type QueueKind = (typeof QUEUE_KINDS)[number];

/** A prefix keeps test workers apart from a running app's workers. */
export function queueName(prefix: string | undefined, kind: QueueKind): string {
  return prefix ? `${prefix}-orders-${kind}` : `orders-${kind}`;
}

/** The projections queue of the deployment whose commands queue is `queue`. */
export function projectionsQueueBeside(queue: string): string {
  return queue.replace(/commands$/, 'projections');
}
