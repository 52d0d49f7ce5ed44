import type pg from 'pg';
import type { GlobalCheckpoint } from './types';

export interface StoredCheckpoint extends GlobalCheckpoint {
  updatedAt: string;
}

/**
 * Where each projector stands, mirrored in the database after every batch so that status,
 * lag and read-your-writes waits can read it without asking Temporal. Only moves forward:
 * a late write from a timed-out attempt cannot take it back.
 */
export class ProjectionCheckpoints {
  constructor(private readonly pool: pg.Pool) {}

  async save(projector: string, at: GlobalCheckpoint): Promise<void> {
    await this.pool.query(
      `insert into projection_checkpoints as c (projector, transaction_id, global_position)
       values ($1, $2::xid8, $3)
       on conflict (projector) do update
         set transaction_id = excluded.transaction_id,
             global_position = excluded.global_position,
             updated_at = now()
       where (excluded.transaction_id, excluded.global_position)
             > (c.transaction_id, c.global_position)`,
      [projector, at.transactionId, at.position],
    );
  }

  async load(projector: string): Promise<StoredCheckpoint | null> {
    const { rows } = await this.pool.query<{
      transaction_id: string;
      global_position: string;
      updated_at: Date;
    }>(
      `select transaction_id::text, global_position, updated_at
       from projection_checkpoints where projector = $1`,
      [projector],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      transactionId: row.transaction_id,
      position: Number(row.global_position),
      updatedAt: row.updated_at.toISOString(),
    };
  }

  /**
   * How far behind a reader at `at` is: events not yet read (counted up to `countLimit`)
   * and when the oldest of them was recorded.
   */
  async lag(
    at: GlobalCheckpoint,
    countLimit = 100_000,
  ): Promise<{ events: number; oldestRecordedAt: string | null }> {
    const { rows } = await this.pool.query<{ events: number; oldest: Date | null }>(
      `select (select count(*)::int from (
                 select 1 from events
                 where (transaction_id, global_position) > ($1::xid8, $2::bigint)
                 limit $3) pending) as events,
              (select min(recorded_at) from (
                 select recorded_at from events
                 where (transaction_id, global_position) > ($1::xid8, $2::bigint)
                 order by transaction_id, global_position
                 limit 1) first) as oldest`,
      [at.transactionId, at.position, countLimit],
    );
    const row = rows[0];
    return { events: row?.events ?? 0, oldestRecordedAt: row?.oldest?.toISOString() ?? null };
  }

  /**
   * Whether the projector has read the event at global `position` (false while there is no
   * such event). Compared in the readers' (transaction id, position) order.
   */
  async passed(projector: string, position: number): Promise<boolean> {
    const { rows } = await this.pool.query<{ passed: boolean }>(
      `select exists (
         select 1 from events e join projection_checkpoints c on c.projector = $1
         where e.global_position = $2
           and (e.transaction_id, e.global_position) <= (c.transaction_id, c.global_position)
       ) as passed`,
      [projector, position],
    );
    return rows[0]?.passed ?? false;
  }
}
