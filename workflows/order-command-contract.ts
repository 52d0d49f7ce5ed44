// The contract between the API and the command workflow: plain data, no I/O, safe to import
// from both sides.
import { defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DomainError, OrderCommand } from '../domain';

export interface OrderCommandInput {
  commandId: string;
  /** Hash of the caller's payload: the same command id with another payload is refused. */
  payloadHash: string;
  command: OrderCommand;
  actor: string;
  correlationId: string;
}

/** What a committed command returns to its caller. */
export interface CommandReply {
  orderId: string;
  version: number;
  position: number;
}

export type CommandError =
  | DomainError
  | { code: 'CommandIdConflict'; message: string }
  | { code: 'ConcurrencyConflict'; message: string };

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

export const orderStreamId = (orderId: string): string => `order-${orderId}`;

export type ReadModel = 'elasticsearch' | 'redis';
export const READ_MODELS: ReadModel[] = ['elasticsearch', 'redis'];

/** Values of the ProjectionStatus search attribute while a projection is in trouble. */
export const projectionStatusValue = (model: ReadModel, state: 'retrying' | 'failed'): string =>
  `${model}:${state}`;

/** Operator controls for a projection that failed for good (see README, "Find a failed projection"). */
export const retryProjectionSignal = defineSignal('retryProjection');
export const skipProjectionSignal = defineSignal('skipProjection');
