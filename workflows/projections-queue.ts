import { workflowInfo } from '@temporalio/workflow';
import { projectionsQueueBeside } from '../contracts/task-queues';

/** The queue of the projection activities, beside the one this workflow runs on. */
export function projectionsQueue(): string {
  return projectionsQueueBeside(workflowInfo().taskQueue);
}
