import {
  condition,
  continueAsNew,
  defineQuery,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ProjectionActivities } from '../activities/projection-activities';
import { projectionStatusValue, type ReadModel } from '../domain/read-models';
import type { GlobalCheckpoint } from '../eventstore/types';
import { PROJECTION_STATUS } from '../temporal/search-attributes';

/**
 * Events per batch: each batch reads them in one query, writes the orders they touched in
 * one bulk request, and costs one activity in this workflow's history (docs/architecture.md).
 */
export const PROJECTOR_BATCH_SIZE = 1_000;
/** How long one wait for new events lasts before the workflow looks again (idle cost). */
const IDLE_WAIT_MS = 30_000;
/** A batch still running after this long flags the projector as retrying for operators. */
const FLAG_RETRYING_AFTER = '5 seconds';
/** Iterations per run: continue-as-new keeps the history far below its limits. */
const ITERATIONS_PER_RUN = 500;

export interface ProjectorState {
  readModel: ReadModel;
  checkpoint: GlobalCheckpoint;
  /** Totals since the projector first started (carried across continue-as-new). */
  events: number;
  batches: number;
  parked: number;
}

export const projectorStateQuery = defineQuery<ProjectorState>('state');

function projectionsQueue(): string {
  return workflowInfo().taskQueue.replace(/commands$/, 'projections');
}

/**
 * One read model's projector: tails the event store in its late-commit-safe global order
 * from a durable checkpoint and projects it in batches, forever. Commands never wait for
 * it. A failing batch retries with durable backoff (the checkpoint stays where it was) and
 * flags the projector `<model>:retrying` for operators; an order the read model refuses
 * for good is parked as its own workflow and the projector goes on.
 */
export async function projectorWorkflow(state: ProjectorState): Promise<never> {
  setHandler(projectorStateQuery, () => state);
  const wait = proxyActivities<ProjectionActivities>({
    taskQueue: projectionsQueue(),
    startToCloseTimeout: IDLE_WAIT_MS * 2,
    heartbeatTimeout: '10 seconds',
    retry: { initialInterval: '1 second', maximumInterval: '10 seconds' },
  });
  const project = proxyActivities<ProjectionActivities>({
    taskQueue: projectionsQueue(),
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
  });
  let flagged = false;

  for (let i = 0; i < ITERATIONS_PER_RUN && !workflowInfo().continueAsNewSuggested; i++) {
    const ready = await wait.waitForEvents({ after: state.checkpoint, timeoutMs: IDLE_WAIT_MS });
    if (!ready) continue;
    let result: Awaited<ReturnType<ProjectionActivities['projectBatch']>> | undefined;
    const batch = project
      .projectBatch({
        readModel: state.readModel,
        projector: workflowInfo().workflowId,
        after: state.checkpoint,
        limit: PROJECTOR_BATCH_SIZE,
      })
      .then((r) => {
        result = r;
      });
    if (!(await condition(() => result !== undefined, FLAG_RETRYING_AFTER))) {
      flagged = true;
      setFlag(state.readModel, true);
    }
    await batch;
    if (!result) throw new Error('projectBatch settled without a result');
    if (flagged) {
      flagged = false;
      setFlag(state.readModel, false);
    }
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
