import {
  ActivityFailure,
  condition,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { ProjectionActivities } from '../activities/projection-activities';
import {
  type ParkedProjection,
  parkedProjectionQuery,
  retryProjectionSignal,
  skipProjectionSignal,
} from '../contracts/projection-controls';
import { PROJECTION_STATUS } from '../contracts/search-attributes';
import { projectionStatusValue, type ReadModel } from '../domain/read-models';
import { projectionsQueue } from './projections-queue';

/**
 * An order a read model refused for good (a mapping rejection), parked so the projector can
 * go on. It waits, flagged `<model>:failed` from its start, until an operator signals
 * `retryProjection` (after fixing the cause: the order's latest state is projected) or
 * `skipProjection`.
 */
export async function parkedProjectionWorkflow(
  parked: ParkedProjection,
): Promise<'projected' | 'skipped'> {
  let retries = 0;
  let skipped = false;
  let lastError = parked.reason;
  setHandler(parkedProjectionQuery, () => ({ ...parked, lastError, retries }));
  setHandler(retryProjectionSignal, () => {
    retries++;
  });
  setHandler(skipProjectionSignal, () => {
    skipped = true;
  });
  const { projectOrder } = proxyActivities<ProjectionActivities>({
    taskQueue: projectionsQueue(),
    startToCloseTimeout: '1 minute',
    retry: {
      initialInterval: '1 second',
      maximumInterval: '30 seconds',
      nonRetryableErrorTypes: ['ProjectionRejected'],
    },
  });
  let handled = 0;
  for (;;) {
    await condition(() => skipped || retries > handled);
    if (skipped) {
      log.warn('parked projection skipped by an operator', { ...parked });
      return 'skipped';
    }
    handled = retries;
    setStatus(parked.readModel, 'retrying');
    try {
      await projectOrder({ readModel: parked.readModel, orderId: parked.orderId });
      return 'projected';
    } catch (err) {
      lastError = refusalOf(err);
      log.error('parked projection failed again; waiting for retryProjection or skipProjection', {
        ...parked,
        error: lastError,
      });
      setStatus(parked.readModel, 'failed');
    }
  }
}

function setStatus(readModel: ReadModel, state: 'retrying' | 'failed'): void {
  upsertSearchAttributes([
    { key: PROJECTION_STATUS, value: [projectionStatusValue(readModel, state)] },
  ]);
}

/** What the read model said: an activity's failure wraps it ("Activity task failed"). */
function refusalOf(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}
