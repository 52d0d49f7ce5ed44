import { config } from '../config/env';
import { type QueueKind, queueName } from '../contracts/task-queues';

/** This deployment's task queue of `kind`. */
export function taskQueue(kind: QueueKind): string {
  return queueName(config().TASK_QUEUE_PREFIX, kind);
}

/** Workflow and schedule ids are global to the namespace: the same prefix keeps tests apart. */
export function prefixedId(name: string): string {
  const prefix = config().TASK_QUEUE_PREFIX;
  return prefix ? `${prefix}-${name}` : name;
}
