import type pg from 'pg';

// What a month's export reads from the event store: a cut (every transaction below one id,
// so every page, dataset and resumed attempt of the export sees the same events), then the
// month's rows streamed through a server-side cursor (one scan, bounded pages in memory).

/** The events an export covers: those of transactions below `horizon`, all finished. */
export interface ExportCut {
  /** xid8 as a decimal string: `pg_snapshot_xmin` when the cut was taken. */
  horizon: string;
  /** The highest global position below the horizon (0: no event). */
  highestPosition: number;
  /**
   * False when a transaction open since before the export began was still open after
   * `maxWaitMs`: events committed before the export began may be missing (a later export
   * of the month has them).
   */
  complete: boolean;
}

/**
 * Takes a cut once every transaction open at the call has ended (at most `maxWaitMs`):
 * everything committed before the call is in, and below the oldest running transaction
 * nothing can still appear.
 */
export async function exportCut(pool: pg.Pool, maxWaitMs = 30_000): Promise<ExportCut> {
  const deadline = Date.now() + maxWaitMs;
  const { rows: marks } = await pool.query<{ next: string }>(
    'select pg_snapshot_xmax(pg_current_snapshot())::text as next',
  );
  const next = marks[0]?.next ?? '0';
  for (;;) {
    const { rows } = await pool.query<{ horizon: string; highest: string | null; ended: boolean }>(
      `select h.xmin::text as horizon, h.xmin >= $1::xid8 as ended,
              (select global_position from events where transaction_id < h.xmin
               order by global_position desc limit 1)::text as highest
       from (select pg_snapshot_xmin(pg_current_snapshot()) as xmin) h`,
      [next],
    );
    const row = rows[0];
    if (!row) throw new Error('no snapshot');
    if (row.ended || Date.now() > deadline) {
      return {
        horizon: row.horizon,
        highestPosition: Number(row.highest ?? 0),
        complete: row.ended,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface MonthRead {
  /** YYYY-MM, in `timeZone`. */
  month: string;
  timeZone: string;
  cut: ExportCut;
  /** Resume after this global position (0: from the start). */
  afterPosition: number;
  pageSize: number;
}

/** An event as the export writes it; times in microseconds since the epoch (exact). */
export interface ExportEventRow {
  position: string;
  stream_id: string;
  stream_version: number;
  event_type: string;
  schema_version: number;
  recorded_us: string;
  data: string;
}

/** A completion of the month with its order as placed, and the refund if there was one. */
export interface CompletedOrderRow {
  /** Global position of the OrderCompleted event: the order of the rows, and the resume key. */
  position: string;
  stream_id: string;
  completed_us: string;
  refunded_us: string | null;
  placed_schema_version: number;
  placed_data: unknown;
}

// The month's first and next instants in the zone, as reconcile's to_char(… at time zone)
// reads them, but as a range the planner can compare against.
const MONTH_START = `(($1 || '-01')::timestamp at time zone $2)`;
const MONTH_END = `((($1 || '-01')::date + interval '1 month')::timestamp at time zone $2)`;
const micros = (ts: string) => `(extract(epoch from ${ts}) * 1000000)::bigint::text`;

/** Every event recorded in the month (recorded_at in the zone), in global-position order. */
export function readMonthEvents(pool: pg.Pool, r: MonthRead): AsyncGenerator<ExportEventRow[]> {
  return cursorPages<ExportEventRow>(
    pool,
    `select global_position::text as position, stream_id, stream_version, event_type,
            schema_version, ${micros('recorded_at')} as recorded_us, data::text as data
     from events
     where transaction_id < $3::xid8 and global_position > $4
       and recorded_at >= ${MONTH_START} and recorded_at < ${MONTH_END}
     order by global_position`,
    [r.month, r.timeZone, r.cut.horizon, r.afterPosition],
    r.pageSize,
  );
}

/**
 * Every order completed in the month (its completedAt in the zone, as reports count it),
 * with its OrderPlaced event and its refund's time, in the completion's position order.
 */
export function readMonthCompletions(
  pool: pg.Pool,
  r: MonthRead,
): AsyncGenerator<CompletedOrderRow[]> {
  return cursorPages<CompletedOrderRow>(
    pool,
    `select c.global_position::text as position, c.stream_id,
            ${micros("(c.data->>'completedAt')::timestamptz")} as completed_us,
            ${micros("(rf.data->>'refundedAt')::timestamptz")} as refunded_us,
            p.schema_version as placed_schema_version, p.data as placed_data
     from events c
     join events p on p.stream_id = c.stream_id and p.event_type = 'OrderPlaced'
                  and p.transaction_id < $3::xid8
     left join lateral (
       select data from events r
       where r.stream_id = c.stream_id and r.event_type = 'OrderRefunded'
         and r.transaction_id < $3::xid8
       order by r.stream_version limit 1) rf on true
     where c.event_type = 'OrderCompleted' and c.transaction_id < $3::xid8
       and c.global_position > $4
       and (c.data->>'completedAt')::timestamptz >= ${MONTH_START}
       and (c.data->>'completedAt')::timestamptz < ${MONTH_END}
     order by c.global_position`,
    [r.month, r.timeZone, r.cut.horizon, r.afterPosition],
    r.pageSize,
  );
}

/**
 * The rows of `sql` in pages of `pageSize`, from one cursor in one read-only transaction:
 * the query runs once (a keyset page per query would scan the month again for each).
 * Stopping early (break, a throw in the consumer) closes the cursor and its connection.
 */
async function* cursorPages<T extends pg.QueryResultRow>(
  pool: pg.Pool,
  sql: string,
  params: unknown[],
  pageSize: number,
): AsyncGenerator<T[]> {
  const client = await pool.connect();
  let ok = false;
  try {
    await client.query('begin read only');
    await client.query(`declare export_rows no scroll cursor for ${sql}`, params);
    for (;;) {
      const { rows } = await client.query<T>(`fetch ${Math.trunc(pageSize)} from export_rows`);
      if (rows.length === 0) break;
      yield rows;
      if (rows.length < pageSize) break;
    }
    await client.query('commit');
    ok = true;
  } finally {
    if (!ok) await client.query('rollback').catch(() => undefined);
    client.release();
  }
}
