import pg from 'pg';
import { logger } from '../config/logger';

/** Bounds on how long the pool waits for PostgreSQL; unset: no bound (pg's default). */
export interface PoolTimeouts {
  /** Opening a connection, and waiting for a free client when the pool is full. */
  connectTimeoutMs?: number;
  /**
   * One statement: the server cancels it (statement_timeout), and the client gives up on
   * it a little later (query_timeout) when the server does not answer at all.
   */
  statementTimeoutMs?: number;
}

// The client-side bound comes after the server's, so a slow statement ends with the
// server's clear "canceling statement due to statement timeout", and only a server that
// does not answer at all hits the client's "Query read timeout".
const CLIENT_GRACE_MS = 1_000;

/** A connection pool for the event store database. */
export function createPool(
  connectionString: string,
  max = 20,
  timeouts: PoolTimeouts = {},
): pg.Pool {
  const { connectTimeoutMs, statementTimeoutMs } = timeouts;
  const pool = new pg.Pool({
    connectionString,
    max,
    application_name: 'order-reporting',
    connectionTimeoutMillis: connectTimeoutMs,
    statement_timeout: statementTimeoutMs,
    query_timeout:
      statementTimeoutMs === undefined ? undefined : statementTimeoutMs + CLIENT_GRACE_MS,
  });
  // An idle client losing its connection (PostgreSQL restarted) must not crash the process;
  // the next query reconnects. Logged as one line: the message and code, never the URL.
  pool.on('error', (err: Error & { code?: string }) => {
    logger.warn(
      { pgError: { message: err.message, code: err.code } },
      'idle postgres client failed',
    );
  });
  return pool;
}
