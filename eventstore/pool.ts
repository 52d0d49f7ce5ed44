import pg from 'pg';

/** A connection pool for the event store database. */
export function createPool(connectionString: string, max = 20): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, application_name: 'order-reporting' });
  // An idle client losing its connection (PostgreSQL restarted) must not crash the process.
  pool.on('error', () => undefined);
  return pool;
}
