// The contract between the API and the command partitions: plain data, no I/O.
import { defineUpdate } from '@temporalio/workflow';
import type { CommandReply, OrderCommandInput } from './order-command-contract';

export interface PartitionState {
  partition: number;
  /** Commands this partition has answered since it first started (across continue-as-new). */
  handledTotal: number;
  /** Updates a run answers before it continues as new (default UPDATES_PER_RUN; tests lower it). */
  updatesPerRun?: number;
}

/** A committed command's reply, with the payload it was for (the API checks it). */
export interface PartitionReply extends CommandReply {
  payloadHash: string;
}

/** One command, sent to its partition; the update id is the command id. */
export const submitCommandUpdate = defineUpdate<PartitionReply, [OrderCommandInput]>(
  'submitCommand',
);

export const commandPartitionWorkflowId = (partition: number): string =>
  `command-partition-${partition}`;

/** The failure type of an update refused while the partition continues as new: resend it. */
export const PARTITION_DRAINING = 'PartitionDraining';
