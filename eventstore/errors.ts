import pg from 'pg';

export class ConcurrencyError extends Error {
  override name = 'ConcurrencyError';
  constructor(
    readonly streamId: string,
    readonly expectedVersion: number,
  ) {
    super(`stream ${streamId} is no longer at version ${expectedVersion}`);
  }
}

export class CommandIdConflictError extends Error {
  override name = 'CommandIdConflictError';
  constructor(readonly commandId: string) {
    super(`command id ${commandId} was already used for a different command`);
  }
}

/**
 * Some command ids of a batch were recorded already (a redelivered batch, a concurrent
 * writer): appended one by one, each is answered from what is stored.
 */
export class PartlyAppendedError extends Error {
  override name = 'PartlyAppendedError';
}

/** appendBatch was handed a batch it cannot write (a caller's bug, not the store's state). */
export class InvalidBatchError extends Error {
  override name = 'InvalidBatchError';
}

/**
 * SQLSTATEs of failures that pass by themselves: the connection (class 08), a transaction
 * rolled back for another's sake (40: serialization, deadlock), the server's resources
 * (53), an operator or a timeout (57: shutdown, statement timeout), the system (58), a
 * lock not available (55P03) and a read-only transaction (25006: a standby being promoted).
 */
const TRANSIENT_CLASSES = new Set(['08', '40', '53', '57', '58']);
const TRANSIENT_CODES = new Set(['55P03', '25006']);

/**
 * How a failure of the event store's database is to be treated: `transient` (try again),
 * `invalid-data` (class 22: the server refused the values themselves), `refused` (any other
 * SQLSTATE: a constraint, a missing table or function — the same statement fails again).
 * Undefined when PostgreSQL did not answer with a SQLSTATE (no connection, a timeout on
 * the client's side, or not a database error at all).
 */
export function storeFailureKind(
  err: unknown,
): 'transient' | 'invalid-data' | 'refused' | undefined {
  if (!(err instanceof pg.DatabaseError) || typeof err.code !== 'string') return undefined;
  if (TRANSIENT_CLASSES.has(err.code.slice(0, 2)) || TRANSIENT_CODES.has(err.code)) {
    return 'transient';
  }
  return err.code.startsWith('22') ? 'invalid-data' : 'refused';
}
