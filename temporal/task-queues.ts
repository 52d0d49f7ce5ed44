import { config } from '../config/env';

/** Task queue names; a prefix keeps test workers apart from a running app's workers. */
export function taskQueue(name: 'commands' | 'projections'): string {
  const prefix = config().TASK_QUEUE_PREFIX;
  return prefix ? `${prefix}-orders-${name}` : `orders-${name}`;
}

/** Workflow and schedule ids are global to the namespace: the same prefix keeps tests apart. */
export function prefixedId(name: string): string {
  const prefix = config().TASK_QUEUE_PREFIX;
  return prefix ? `${prefix}-${name}` : name;
}
