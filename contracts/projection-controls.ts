// What operators and the API name to watch and steer the projections: the workflows'
// queries, signals, ids and the shapes they answer. Plain data, no I/O.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ReadModel } from '../domain/read-models';
import type { HeldBack } from '../eventstore/held-back';
import { type GlobalCheckpoint, START } from '../eventstore/types';

/** Operator controls for a projection that failed for good (see docs/runbooks.md, "Find a failed projection"). */
export const retryProjectionSignal = defineSignal('retryProjection');
export const skipProjectionSignal = defineSignal('skipProjection');

export interface ParkedProjection {
  readModel: ReadModel;
  orderId: string;
  /** Why the read model refused the order's document. */
  reason: string;
}

export interface ParkedProjectionState extends ParkedProjection {
  /** The latest failure: the first refusal, or that of the last retry. */
  lastError: string;
  retries: number;
}

/** What an operator needs to decide on a parked order (answered by the workflow). */
export const parkedProjectionQuery = defineQuery<ParkedProjectionState>('parkedProjection');

export const parkedProjectionWorkflowId = (model: ReadModel, orderId: string): string =>
  `projection-parked-${model}-${orderId}`;

export interface ProjectorState {
  readModel: ReadModel;
  checkpoint: GlobalCheckpoint;
  /** Totals since the projector first started (carried across continue-as-new). */
  events: number;
  batches: number;
  parked: number;
}

export const projectorStateQuery = defineQuery<ProjectorState>('state');

export interface RebuildProgress {
  readModel: ReadModel;
  phase: 'copying' | 'catching-up' | 'done';
  /** The fresh index being filled (Elasticsearch). */
  index: string | null;
  checkpoint: GlobalCheckpoint;
  eventsRead: number;
  ordersWritten: number;
  /**
   * Orders the rebuilt index refused for good, parked for an operator (retry or skip)
   * rather than retried: absent in runs started before the field.
   */
  parked?: number;
  startedAt: string;
  swappedAt: string | null;
  /**
   * Swap even when the rebuilt index holds fewer orders than the one it replaces (absent in
   * runs started before the option: not forced).
   */
  force?: boolean;
  /**
   * A transaction left open that the last batch found at its horizon: events committed
   * after it wait (the catch-up cannot end) until it ends. Null when none; absent in runs
   * started before the field.
   */
  heldBack?: HeldBack | null;
  /** Catch-up goes on until the store's read horizon passes this (see swapToRebuiltIndex). */
  watermark: string | null;
  finishedAt: string | null;
}

export const rebuildProgressQuery = defineQuery<RebuildProgress>('progress');

/**
 * A rebuild's progress before its first batch: the workflow's input. `force` absent is what
 * runs started before the option carry.
 */
export function initialRebuildProgress(
  readModel: ReadModel,
  options: { force?: boolean } = {},
): RebuildProgress {
  return {
    readModel,
    phase: 'copying',
    index: null,
    checkpoint: START,
    eventsRead: 0,
    ordersWritten: 0,
    parked: 0,
    startedAt: new Date().toISOString(),
    swappedAt: null,
    ...options,
    watermark: null,
    finishedAt: null,
  };
}

export const rebuildWorkflowId = (readModel: ReadModel): string =>
  `rebuild-read-model-${readModel}`;
