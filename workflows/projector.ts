import {
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ProjectionActivities } from '../activities/projection-activities';
import { type ProjectorState, projectorStateQuery } from '../contracts/projection-controls';
import { PROJECTION_STATUS } from '../contracts/search-attributes';
import { projectionStatusValue, type ReadModel } from '../domain/read-models';
import { projectionsQueue } from './projections-queue';

/**
 * Events per batch: each batch reads them in one query, writes the orders they touched in
 * one bulk request and moves the checkpoint (docs/architecture.md).
 */
export const PROJECTOR_BATCH_SIZE = 1_000;
/** How long one tailing activity runs: the projector's whole Temporal cost, busy or idle. */
const TAIL_MS = 60_000;
/** A retried batch still running after this long flags the projector for operators. */
const FLAG_RETRYING_AFTER = '5 seconds';
/** Tailing activities per run: continue-as-new keeps the history small. */
const TAILS_PER_RUN = 200;

/**
 * One read model's projector: tails the event store in its late-commit-safe global order
 * from a durable checkpoint and projects it in batches, forever. Commands never wait for
 * it. The steady state is one long activity a minute that projects every batch as it is
 * committed; a failing batch is then retried as an activity of its own, with durable
 * backoff (the checkpoint stays where it was), flagging the projector `<model>:retrying`
 * for operators; an order the read model refuses for good is parked as its own workflow
 * and the projector goes on.
 */
export async function projectorWorkflow(state: ProjectorState): Promise<never> {
  setHandler(projectorStateQuery, () => state);
  const { tailEvents } = proxyActivities<ProjectionActivities>({
    taskQueue: projectionsQueue(),
    startToCloseTimeout: TAIL_MS * 2,
    heartbeatTimeout: '15 seconds',
    retry: { initialInterval: '1 second', maximumInterval: '10 seconds' },
  });
  const { projectBatch } = proxyActivities<ProjectionActivities>({
    taskQueue: projectionsQueue(),
    startToCloseTimeout: '1 minute',
    // It heartbeats: a worker lost mid-batch is retried after this, not the minute.
    heartbeatTimeout: '15 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
  });

  for (let i = 0; i < TAILS_PER_RUN && !workflowInfo().continueAsNewSuggested; i++) {
    const tail = await tailEvents({
      readModel: state.readModel,
      projector: workflowInfo().workflowId,
      after: state.checkpoint,
      limit: PROJECTOR_BATCH_SIZE,
      forMs: TAIL_MS,
    });
    state.checkpoint = tail.checkpoint;
    state.events += tail.events;
    state.batches += tail.batches;
    state.parked += tail.parked;
    if (tail.failure === null) continue;

    // The batch that failed, retried by Temporal until it succeeds, or until it fails for
    // good (a checkpoint from a restored cluster's ids): the projector then fails with it.
    let result: Awaited<ReturnType<ProjectionActivities['projectBatch']>> | undefined;
    let failure: unknown;
    // Both outcomes handled here: a rejection left unhandled while the timer runs would
    // fail the workflow task (retried, the projector stuck) instead of the workflow.
    const batch = projectBatch({
      readModel: state.readModel,
      projector: workflowInfo().workflowId,
      after: state.checkpoint,
      limit: PROJECTOR_BATCH_SIZE,
    }).then(
      (r) => {
        result = r;
      },
      (err: unknown) => {
        failure = err ?? new Error('projectBatch failed');
      },
    );
    const settled = () => result !== undefined || failure !== undefined;
    const flagged = !(await condition(settled, FLAG_RETRYING_AFTER));
    if (flagged) setFlag(state.readModel, true);
    await batch;
    if (flagged) setFlag(state.readModel, false);
    if (failure !== undefined) throw failure;
    if (!result) throw new Error('projectBatch settled without a result');
    state.checkpoint = result.checkpoint;
    state.events += result.events;
    state.parked += result.parked;
    state.batches++;
  }
  return await continueAsNew<typeof projectorWorkflow>(state);
}

function setFlag(readModel: ReadModel, on: boolean): void {
  upsertSearchAttributes([
    {
      key: PROJECTION_STATUS,
      value: on ? [projectionStatusValue(readModel, 'retrying')] : null,
    },
  ]);
}
