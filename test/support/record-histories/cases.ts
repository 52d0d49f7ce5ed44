// Every case the recorder knows, in the order a run with no case named records them, and the
// histories that can no longer be recorded.
import type { Case } from './case';
import { COMMAND_CASES } from './command-cases';
import { PARTITION_CASES } from './partition-cases';
import { PROJECTION_CASES } from './projection-cases';
import { REBUILD_CASES } from './rebuild-cases';
import { REPORT_CASES } from './report-cases';
import { SUBSCRIBER_CASES } from './subscriber-cases';

/**
 * Histories recorded by workflow code that is gone from the API's path (the command
 * workflow before the projectors, `orderCommandWorkflow` with per-command projections):
 * their files stay for the replay test, they cannot be recorded again.
 */
export const FROZEN: Record<string, string> = {
  place: 'order-command-place-with-projections.json',
  complete: 'order-command-complete-with-projections.json',
  refund: 'order-command-refund-with-projections.json',
  'rejected-not-found': 'order-command-rejected-not-found-with-projections.json',
  cancel: 'order-command-cancel-with-projections.json',
  'redecide-after-conflict': 'order-command-redecide-after-conflict-with-projections.json',
  'retry-projection': 'order-command-retry-projection-with-projections.json',
  'skip-projection': 'order-command-skip-projection-with-projections.json',
};

export const CASES: Record<string, Case> = {
  ...REBUILD_CASES,
  ...REPORT_CASES,
  ...COMMAND_CASES,
  ...PARTITION_CASES,
  ...PROJECTION_CASES,
  ...SUBSCRIBER_CASES,
};
