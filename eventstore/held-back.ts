import type pg from 'pg';

/** A transaction still open at a reader's horizon, and what it keeps that reader from. */
export interface HeldBack {
  /** Server process of the open transaction (`pg_stat_activity.pid`, for pg_terminate_backend). */
  pid: number;
  /** How long that transaction has been open, in seconds. */
  transactionAgeSeconds: number;
  /** Events committed after it began, invisible to readers until it ends (up to 100,000). */
  eventsWaiting: number;
}

/**
 * Whether the transaction a page's `horizon` stopped at is still open, and for how long:
 * readers take only events below the oldest running transaction (late commits are never
 * skipped), so one left open holds every reader back however much commits after it.
 * Null when it has ended. Sees the transactions of the store's own database user.
 */
export async function heldBackAt(pool: pg.Pool, horizon: string): Promise<HeldBack | null> {
  const { rows } = await pool.query<{ pid: number; age: number; waiting: number }>(
    // pg_stat_activity shows 32-bit xids; the horizon is an xid8 (epoch in the high bits).
    `select a.pid, extract(epoch from now() - a.xact_start)::float8 as age,
            (select count(*)::int from (
               select 1 from events where transaction_id >= $1::xid8 limit 100000) e) as waiting
     from pg_stat_activity a
     where a.backend_xid::text::bigint = ($1::xid8::text::numeric % 4294967296)::bigint
     order by a.xact_start
     limit 1`,
    [horizon],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    pid: row.pid,
    transactionAgeSeconds: Math.round(row.age),
    eventsWaiting: row.waiting,
  };
}
