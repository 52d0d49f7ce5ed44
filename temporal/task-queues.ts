import { config } from '../config/env';

/** Task queue names; a prefix keeps test workers apart from a running app's workers. */
export function taskQueue(name: 'commands' | 'projections'): string {
  const prefix = config().TASK_QUEUE_PREFIX;
  return prefix ? `${prefix}-orders-${name}` : `orders-${name}`;
}
