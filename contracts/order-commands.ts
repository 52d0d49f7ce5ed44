// The contract between the API, the command activities and the command workflows: plain data, no I/O, safe to import
// from both sides.
import { defineUpdate } from '@temporalio/workflow';
import type { DomainError, OrderCommand } from '../domain';

export interface OrderCommandInput {
  commandId: string;
  /** Hash of the caller's payload: the same command id with another payload is refused. */
  payloadHash: string;
  command: OrderCommand;
  actor: string;
  correlationId: string;
  /** The request's W3C trace context when traces are on (older inputs lack it). */
  traceparent?: string;
}

/** What a committed command returns to its caller. */
export interface CommandReply {
  orderId: string;
  version: number;
  position: number;
}

/**
 * Why a command could not be processed at all (nothing was saved, and it is not recorded as
 * its outcome: the same command id runs again once the cause is fixed): `unknown_event`, its
 * order holds an event this code cannot read (a newer version wrote it); `store_refused`,
 * PostgreSQL refuses the append with a SQLSTATE that a retry gets again; `internal`, a bug.
 */
export type UnprocessableReason = 'unknown_event' | 'store_refused' | 'internal';

export type CommandError =
  | DomainError
  | { code: 'CommandIdConflict'; message: string }
  | { code: 'ConcurrencyConflict'; message: string }
  | { code: 'CommandUnprocessable'; message: string; reason: UnprocessableReason };

export type CommandErrorCode = CommandError['code'];

export type CommandOutcome = { ok: true; reply: CommandReply } | { ok: false; error: CommandError };

/** The workflow's result: the outcome, and the payload it was for. */
export type CommandRunResult = CommandOutcome & { payloadHash: string };

/**
 * Resolves with the reply once the command's events are committed (or fails with the
 * refusal), while the workflow goes on to update the read models. Its argument is the
 * caller's payload hash.
 */
export const commandResultUpdate = defineUpdate<CommandReply, [string]>('commandResult');

export const orderCommandWorkflowId = (commandId: string): string => `order-command-${commandId}`;

/** The answer to a command id used before with another payload (or for another order). */
export const commandIdConflict = (commandId: string): CommandOutcome => ({
  ok: false,
  error: {
    code: 'CommandIdConflict',
    message: `command id ${commandId} was already used for a different command`,
  },
});
