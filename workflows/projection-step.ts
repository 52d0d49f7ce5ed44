import {
  ActivityFailure,
  CancellationScope,
  condition,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { ProjectionActivities, ProjectOrderInput } from '../activities/projection-activities';
import { retryProjectionSignal, skipProjectionSignal } from '../contracts/projection-controls';
import { PROJECTION_STATUS } from '../contracts/search-attributes';
import { projectionStatusValue, type ReadModel } from '../domain/read-models';
import { projectionsQueue } from './projections-queue';

/** A projection still running after this long is flagged for operators. */
export const FLAG_SLOW_PROJECTION_AFTER = '5 seconds';

// The projections run on their own task queue, named after this workflow's queue, so
// projection workers scale apart from command workers.

function activitiesFor() {
  return proxyActivities<ProjectionActivities>({
    taskQueue: projectionsQueue(),
    startToCloseTimeout: '30 seconds',
    // Transient failures retry forever with backoff up to a minute; what retrying cannot
    // fix fails at once and is parked for an operator instead of looping silently.
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      nonRetryableErrorTypes: ['ProjectionRejected'],
    },
  });
}

const RUNNERS: Record<ReadModel, 'projectOrderToElasticsearch' | 'projectOrderToRedis'> = {
  elasticsearch: 'projectOrderToElasticsearch',
  redis: 'projectOrderToRedis',
};

export interface ProjectionControl {
  retries: number;
  skips: number;
  /** What each read model in trouble shows in the ProjectionStatus search attribute. */
  flags: Map<ReadModel, string>;
}

/** Installs the operator signals; counters let each waiting projection see new ones. */
export function installProjectionControls(): ProjectionControl {
  const control: ProjectionControl = { retries: 0, skips: 0, flags: new Map() };
  setHandler(retryProjectionSignal, () => {
    control.retries++;
  });
  setHandler(skipProjectionSignal, () => {
    control.skips++;
  });
  return control;
}

// One list for the workflow: projections run in parallel and must not erase each other's flag.
function setStatus(
  control: ProjectionControl,
  model: ReadModel,
  state: 'retrying' | 'failed' | null,
): void {
  if (state) control.flags.set(model, projectionStatusValue(model, state));
  else if (!control.flags.delete(model)) return;
  const value = [...control.flags.values()].sort();
  upsertSearchAttributes([{ key: PROJECTION_STATUS, value: value.length > 0 ? value : null }]);
}

/**
 * Runs one read model's projection to completion: flags it as retrying when slow, parks
 * it as failed on a non-retryable error until an operator signals retry or skip.
 */
export async function project(
  model: ReadModel,
  input: ProjectOrderInput,
  control: ProjectionControl,
): Promise<'projected' | 'skipped'> {
  const run = activitiesFor()[RUNNERS[model]];
  for (;;) {
    const skipsBefore = control.skips;
    let done = false;
    let failure: unknown;
    const scope = new CancellationScope();
    // Every outcome is captured here, so no promise is left to reject unhandled.
    const attempt = scope
      .run(() => run(input))
      .then(
        () => {
          done = true;
        },
        (err: unknown) => {
          failure = err;
        },
      );
    const settled = () => done || failure !== undefined || control.skips > skipsBefore;
    if (!(await condition(settled, FLAG_SLOW_PROJECTION_AFTER))) {
      setStatus(control, model, 'retrying');
      await condition(settled);
    }
    if (done) {
      setStatus(control, model, null);
      return 'projected';
    }
    if (failure === undefined) {
      scope.cancel();
      await attempt;
      log.warn('projection skipped by an operator', { model, orderId: input.orderId });
      setStatus(control, model, null);
      return 'skipped';
    }
    if (!(failure instanceof ActivityFailure) || isCancellation(failure)) throw failure;
    log.error('projection failed for good; waiting for retryProjection or skipProjection', {
      model,
      orderId: input.orderId,
      error: failure.cause?.message,
    });
    setStatus(control, model, 'failed');
    const retriesAtFailure = control.retries;
    const skipsAtFailure = control.skips;
    await condition(() => control.retries > retriesAtFailure || control.skips > skipsAtFailure);
    if (control.skips > skipsAtFailure) {
      setStatus(control, model, null);
      return 'skipped';
    }
    setStatus(control, model, 'retrying');
  }
}
