import type pg from 'pg';
import type { GlobalCheckpoint } from './types';

/**
 * Streams whose first event comes after `after` in the readers' global order and is
 * visible to readers now, among those whose id starts with `prefix`: what another reader
 * may have projected and one at `after` has not seen at all yet. Events readers cannot see
 * (ids above the horizon, restored ones included) count for neither. Walks the
 * global-order index from `after`, so it costs what is left to read, not the store.
 */
export async function streamsStartedAfter(
  pool: pg.Pool,
  after: GlobalCheckpoint,
  prefix: string,
): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `select count(*)::int as n from events
     where (transaction_id, global_position) > ($1::xid8, $2::bigint)
       and transaction_id < pg_snapshot_xmin(pg_current_snapshot())
       and stream_version = 1 and starts_with(stream_id, $3)`,
    [after.transactionId, after.position, prefix],
  );
  return rows[0]?.n ?? 0;
}
