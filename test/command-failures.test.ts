import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { commandFailureOf } from '../activities/command-failures';
import { InvalidEventError, UnknownEventError } from '../domain';
import {
  CommandIdConflictError,
  ConcurrencyError,
  InvalidBatchError,
  PartlyAppendedError,
} from '../eventstore';

/** An error as pg hands it on when PostgreSQL answers with `sqlstate`. */
function sqlError(sqlstate: string, message = 'refused'): pg.DatabaseError {
  const err = new pg.DatabaseError(message, message.length, 'error');
  err.code = sqlstate;
  return err;
}

/** A Node socket error, as a pool that cannot connect throws it. */
function systemError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code });
}

describe('what a failed attempt at a command means (pure)', () => {
  it.each([
    ['serialization failure', sqlError('40001')],
    ['deadlock', sqlError('40P01')],
    ['statement timeout', sqlError('57014')],
    ['server shutting down', sqlError('57P01')],
    ['connection failure', sqlError('08006')],
    ['too many connections', sqlError('53300')],
    ['lock not available', sqlError('55P03')],
    ['read-only transaction (a standby)', sqlError('25006')],
    ['connection refused', systemError('ECONNREFUSED')],
    ['connection reset', systemError('ECONNRESET')],
    ['a pg client error without SQLSTATE', new Error('Connection terminated unexpectedly')],
  ])('given %s, when classified, then it is transient: the batch is tried again', (_, err) => {
    expect(commandFailureOf(err)).toEqual({ kind: 'transient' });
  });

  it.each([
    ['a check constraint', '23514'],
    ['an undefined table (a migration missing)', '42P01'],
    ['a program limit', '54000'],
    ['an exception raised by a function', 'P0001'],
  ])(
    'given PostgreSQL refusing with %s, when classified, then it is unprocessable, saying the SQLSTATE',
    (_, sqlstate) => {
      expect(commandFailureOf(sqlError(sqlstate, 'no'))).toEqual({
        kind: 'unprocessable',
        reason: 'store_refused',
        cause: `the event store refused it (SQLSTATE ${sqlstate}: no)`,
      });
    },
  );

  it('given an event type this code does not know, then it is unprocessable (unknown_event), naming it', () => {
    const failure = commandFailureOf(new UnknownEventError('unknown event type OrderArchived'));
    expect(failure).toMatchObject({ kind: 'unprocessable', reason: 'unknown_event' });
    expect(failure.kind === 'unprocessable' && failure.cause).toMatch(/OrderArchived/);
  });

  it.each([
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['an invalid batch', new InvalidBatchError('appendBatch: command c has no events')],
    [
      'a stored event that cannot follow its state',
      new InvalidEventError('OrderCompleted on completed'),
    ],
  ])(
    'given %s (a bug), then it is unprocessable (internal), its text kept from the caller',
    (_, err) => {
      expect(commandFailureOf(err)).toEqual({
        kind: 'unprocessable',
        reason: 'internal',
        cause: 'an internal error',
      });
    },
  );

  it('given the store refusing the values themselves (class 22), then it is invalid data', () => {
    expect(commandFailureOf(sqlError('22P02'))).toEqual({ kind: 'invalidData' });
  });

  it('given a lost race or a batch partly recorded before, then it is decided again; a reused id is a conflict', () => {
    expect(commandFailureOf(new ConcurrencyError('order-o-1', 1))).toEqual({ kind: 'redecide' });
    expect(commandFailureOf(new PartlyAppendedError('1 of 2'))).toEqual({ kind: 'redecide' });
    expect(commandFailureOf(new CommandIdConflictError('c'))).toEqual({
      kind: 'commandIdConflict',
    });
  });
});
