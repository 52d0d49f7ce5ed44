import pg from 'pg';

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

/** An idle client's lost connection, as the pool reports it (never the URL). */
export interface IdleClientError {
  message: string;
  code?: string;
}

export interface PoolOptions extends PoolTimeouts {
  /** Told when an idle client loses its connection; the next query reconnects. */
  onIdleError?: (err: IdleClientError) => void;
}

// The client-side bound comes after the server's, so a slow statement ends with the
// server's clear "canceling statement due to statement timeout", and only a server that
// does not answer at all hits the client's "Query read timeout".
const CLIENT_GRACE_MS = 1_000;

/** A connection pool for the event store database. */
export function createPool(connectionString: string, max = 20, options: PoolOptions = {}): pg.Pool {
  const { connectTimeoutMs, statementTimeoutMs, onIdleError } = options;
  const pool = new pg.Pool({
    connectionString,
    max,
    application_name: 'order-reporting',
    connectionTimeoutMillis: connectTimeoutMs,
    statement_timeout: statementTimeoutMs,
    query_timeout:
      statementTimeoutMs === undefined ? undefined : statementTimeoutMs + CLIENT_GRACE_MS,
  });
  // An idle client losing its connection (PostgreSQL restarted) must not crash the process:
  // the pool emits it as an error event, which would otherwise be unhandled.
  pool.on('error', (err: Error & { code?: string }) => {
    onIdleError?.({ message: err.message, code: err.code });
  });
  return pool;
}
