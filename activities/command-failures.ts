import type { UnprocessableReason } from '../contracts/order-commands';
import { InvalidEventError, UnknownEventError } from '../domain';
import {
  CommandIdConflictError,
  ConcurrencyError,
  InvalidBatchError,
  PartlyAppendedError,
  storeFailureKind,
} from '../eventstore';

/**
 * What a failed attempt at a command means, decided from the error's type (never its text):
 * - `redecide`: the order moved under it, or its command id was recorded meanwhile: decide
 *   again on what is stored now;
 * - `commandIdConflict`: the command id was used for another payload;
 * - `invalidData`: PostgreSQL refused the values themselves (SQLSTATE class 22);
 * - `unprocessable`: the same attempt fails again whatever the wait;
 * - `transient`: anything else (no connection, a timeout, a rolled-back transaction): try
 *   again, the batch is idempotent by command id.
 */
export type CommandFailure =
  | { kind: 'redecide' | 'commandIdConflict' | 'invalidData' | 'transient' }
  | { kind: 'unprocessable'; reason: UnprocessableReason; cause: string };

/**
 * Errors of the code itself: the same input throws them again. (`InvalidEventError`: a
 * stored event that cannot follow its order's state, which `evolve` calls a bug.)
 */
const BUGS = [
  TypeError,
  RangeError,
  ReferenceError,
  SyntaxError,
  InvalidBatchError,
  InvalidEventError,
];

export function commandFailureOf(err: unknown): CommandFailure {
  if (err instanceof ConcurrencyError || err instanceof PartlyAppendedError) {
    return { kind: 'redecide' };
  }
  if (err instanceof CommandIdConflictError) return { kind: 'commandIdConflict' };
  if (err instanceof UnknownEventError) {
    return { kind: 'unprocessable', reason: 'unknown_event', cause: unreadableCause(err.message) };
  }
  const store = storeFailureKind(err);
  if (store === 'invalid-data') return { kind: 'invalidData' };
  if (store === 'refused') {
    const { code, message } = err as { code: string; message: string };
    return {
      kind: 'unprocessable',
      reason: 'store_refused',
      cause: `the event store refused it (SQLSTATE ${code}: ${message})`,
    };
  }
  if (store === undefined && BUGS.some((type) => err instanceof type)) {
    // The text of a bug is for the worker's log, not for the caller.
    return { kind: 'unprocessable', reason: 'internal', cause: 'an internal error' };
  }
  return { kind: 'transient' };
}

/** Why a command on an order this code cannot read (`detail`: the event) is not processed. */
export function unreadableCause(detail: string): string {
  return `its stream holds an event this version of the service cannot read (${detail}), written by a newer version?`;
}

/** What the caller of an unprocessable command is told. */
export function unprocessableMessage(orderId: string, commandId: string, cause: string): string {
  return `order ${orderId} cannot be processed: ${cause}; nothing was saved. Operators are alerted (CommandsUnprocessable; the worker's log names command ${commandId}); send the command again with the same commandId once they have fixed the cause`;
}
