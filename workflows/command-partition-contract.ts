// The contract between the API and the command partitions: plain data, no I/O.
import { defineUpdate } from '@temporalio/workflow';
import type { CommandReply, OrderCommandInput } from './order-command-contract';

export interface PartitionState {
  partition: number;
  /** Commands this partition has answered since it first started (across continue-as-new). */
  handledTotal: number;
  /**
   * Updates a run answers before it continues as new. Part of the input, not a constant of
   * the code: a run keeps the limit it started with, so changing it never changes the
   * replay of a run in flight. Runs started without it (before it was set) use 1,000.
   */
  updatesPerRun?: number;
}

/**
 * What new runs are started with. A run's history grows ~3.4 events and ~1 KiB per update;
 * after a worker loses its cache (a restart, the Temporal server restarting) the next
 * workflow task replays it all: at 1,000 updates (1 MiB) that took ~6 s on this machine
 * under load, longer than the server waited for the task, and the partition refused
 * commands for ~25 s; at 250 the replay is a quarter of it.
 */
export const PARTITION_UPDATES_PER_RUN = 250;

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
