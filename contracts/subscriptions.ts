// What the API and the subscriber workflows name: ids, the signal, the state query. Plain
// data, no I/O.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { GlobalCheckpoint } from '../eventstore/types';

/** Sent after any change to a subscription's row: the subscriber re-reads it at once. */
export const subscriptionChangedSignal = defineSignal('subscriptionChanged');

export const subscriberWorkflowId = (subscriptionId: string): string =>
  `subscription-${subscriptionId}`;

export interface SubscriberState {
  subscriptionId: string;
  /** The last checkpoint an activity reported (the database row is the authority). */
  checkpoint: GlobalCheckpoint | null;
  /** Totals since the subscriber first started (carried across continue-as-new). */
  delivered: number;
  batches: number;
}

export const subscriberStateQuery = defineQuery<SubscriberState>('subscriberState');

export type SubscriptionStatus = 'failing' | 'disabled';
