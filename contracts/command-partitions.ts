// The contract between the API and the command partitions: plain data, no I/O.
import { defineUpdate } from '@temporalio/workflow';
import type {
  CommandOutcome,
  CommandReply,
  OrderCommandInput,
  UnprocessableReason,
} from './order-commands';

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
  /**
   * A run with it continues as new once its history passes this many bytes (or 1,000
   * updates), whatever `updatesPerRun` says: with arrays a command adds ~0.3 history events
   * and ~0.6 KiB, so a count of commands cut runs far shorter than their replay cost needs.
   * Part of the input like the others: runs started before it keep counting commands, and
   * take it on when they continue as new.
   */
  historyBytesPerRun?: number;
  /**
   * A run with it also continues as new once its history holds this many events: at one
   * command per update a command adds ~6 events and under 1 KiB, so the bytes alone would
   * let a quiet partition's history grow to thousands of events, and replay cost follows
   * the events. Part of the input like the others: runs started before it take it on when
   * they continue as new.
   */
  historyEventsPerRun?: number;
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

/**
 * What new runs are started with (and runs without it take on when they continue as new).
 * At ~0.6 KiB per command in arrays it is ~3,500 commands and 200-600 events under load
 * (25-100 commands per array): a continue-as-new holds a partition's commands for a moment,
 * and at 512 KiB a busy partition did so every ~1.5 s. Replay cost follows the events,
 * which the next cap bounds.
 */
export const PARTITION_HISTORY_BYTES_PER_RUN = 2 * 1024 * 1024;

/**
 * What new runs are started with (and runs without it take on when they continue as new):
 * about 165 one-command updates, ~1 s of replay after a cache loss. Replay follows the
 * events far more than the bytes: on this machine, quiet, a 2,006-event run of one-command
 * updates (1.5 MB) replayed in 1.8 s, a 209-event run of arrays (2.2 MB) in 0.27 s.
 */
export const PARTITION_HISTORY_EVENTS_PER_RUN = 1_000;

/** A committed command's reply, with the payload it was for (the API checks it). */
export interface PartitionReply extends CommandReply {
  payloadHash: string;
}

/**
 * One command, sent to its partition; the update id is the command id. What API processes
 * sent before updates carried arrays: still handled, for runs in flight at an upgrade.
 */
export const submitCommandUpdate = defineUpdate<PartitionReply, [OrderCommandInput]>(
  'submitCommand',
);

/**
 * What became of one command of an array: its outcome, or `resend` when the run gave it back
 * unanswered (it stopped for good after failing too long to store, and continues as new).
 */
export type PartitionCommandResult = CommandOutcome | { resend: true };

/**
 * The commands an API process had queued for a partition, as one update (one history entry
 * and one workflow task for all of them); the reply holds each command's own result, in the
 * array's order. The update's arguments list the command ids: that is how the Temporal UI
 * shows which update carried a command.
 */
export const submitCommandsUpdate = defineUpdate<PartitionCommandResult[], [OrderCommandInput[]]>(
  'submitCommands',
);

/** Commands in one update at most (also the most a partition decides in one local activity). */
export const UPDATE_MAX_COMMANDS = 100;

/**
 * Bytes of one update's argument at most (its JSON, UTF-8). Well under the server's payload
 * limit (2 MiB: an update over it fails the workflow task and terminated the partition
 * workflow in a test outside the project, at 2.6 MB); one command of the largest kind the API
 * accepts (100 lines, a 500-character reason) is ~20 KiB, so it always fits alone.
 */
export const UPDATE_MAX_BYTES = 256 * 1024;

/** UTF-8 length of a string, without Buffer or TextEncoder (workflow code may call it). */
function utf8Length(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      bytes += 4; // a surrogate pair: one 4-byte character
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** Bytes one command adds to an update's argument (its JSON and a separating comma). */
export const commandBytes = (input: OrderCommandInput): number =>
  utf8Length(JSON.stringify(input)) + 1;

/** Bytes of an update's argument: its commands' JSON, the commas, the brackets. */
export const updateBytes = (inputs: readonly OrderCommandInput[]): number =>
  inputs.reduce((sum, input) => sum + commandBytes(input), 1);

/**
 * Why an array is refused before it is recorded (none of it is then applied), or undefined:
 * the caps above, and each command's shape as far as the partition relies on it.
 */
export function updateProblem(inputs: unknown): string | undefined {
  if (!Array.isArray(inputs) || inputs.length === 0) return 'an update carries 1 or more commands';
  if (inputs.length > UPDATE_MAX_COMMANDS) {
    return `an update carries at most ${UPDATE_MAX_COMMANDS} commands, not ${inputs.length}`;
  }
  for (const [i, input] of inputs.entries()) {
    const c = input as Partial<OrderCommandInput> | null;
    if (
      typeof c?.commandId !== 'string' ||
      typeof c.payloadHash !== 'string' ||
      typeof c.command?.orderId !== 'string' ||
      typeof c.command.type !== 'string'
    ) {
      return `command ${i} of the update has no commandId, payloadHash, command type or order id`;
    }
  }
  const bytes = updateBytes(inputs as OrderCommandInput[]);
  if (bytes > UPDATE_MAX_BYTES) {
    return `an update carries at most ${UPDATE_MAX_BYTES} bytes of commands, not ${bytes}`;
  }
  return undefined;
}

/** The failure type of an update whose array `updateProblem` refuses. */
export const UPDATE_REFUSED = 'CommandUpdateRefused';

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
