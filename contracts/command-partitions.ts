// The contract between the API and the command partitions: plain data, no I/O.
import { defineUpdate } from '@temporalio/workflow';
import type { CommandReply, OrderCommandInput, UnprocessableReason } from './order-commands';

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
  /**
   * Failed attempts at one batch (the event store unreachable) after which a run continues
   * as new, so a long outage never grows one history without bound. Part of the input for
   * the same reason as `updatesPerRun`; runs started without it never give up a run.
   */
  stuckRetriesPerRun?: number;
}

/**
 * What new runs are started with. A run's history grows ~3.4 events and ~1 KiB per update;
 * after a worker loses its cache (a restart, the Temporal server restarting) the next
 * workflow task replays it all: at 1,000 updates (1 MiB) that took ~6 s on this machine
 * under load, longer than the server waited for the task, and the partition refused
 * commands for ~25 s; at 250 the replay is a quarter of it.
 */
export const PARTITION_UPDATES_PER_RUN = 250;

/**
 * What new runs are started with: each failed attempt adds ~6 events (the local activity's
 * marker, the backoff timer, a workflow task), so 120 attempts — about an hour at the 30 s
 * backoff — keep a stuck run's history near the size of a run of 250 updates.
 */
export const PARTITION_STUCK_RETRIES_PER_RUN = 120;

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

/**
 * The failure type of a batch activity whose commands failed in a way no retry can fix
 * (an event type this code does not know, a SQLSTATE PostgreSQL will answer again, a bug):
 * its details are the `UnprocessableCommand`s, which the partition refuses, and goes on.
 */
export const COMMAND_UNPROCESSABLE = 'CommandUnprocessable';

export interface UnprocessableCommand {
  commandId: string;
  reason: UnprocessableReason;
  /** What the caller is told: the cause, that nothing was saved, and what to do. */
  message: string;
}
