import type pg from 'pg';
import type { GlobalCheckpoint } from './types';

/**
 * The transaction id every restored event is given by `renumberRestoredEvents`: the first
 * normal xid, below any running transaction of any cluster, so readers see them again.
 */
export const RESTORED_TRANSACTION_ID = '3';

/** What an operator runs after a logical restore (named in refusals and logs). */
export const AFTER_RESTORE_STEP = 'npm run migrate -- --after-restore';

export interface RestoreCheck {
  /** True when stored events carry transaction ids this cluster has not reached yet. */
  restored: boolean;
  /** The highest transaction id stored with an event (null: no events). */
  newestTransactionId: string | null;
  /** The id this cluster's next transaction will get. */
  nextTransactionId: string;
}

/**
 * Whether the events were restored from another cluster (pg_dump/pg_restore): their stored
 * xid8 `transaction_id` is then compared by `readAll` with this cluster's snapshot, and ids
 * the cluster has not reached yet make every such event invisible for good. No live write
 * can store an id at or above the snapshot's xmax, so one found there came from elsewhere.
 * Reads the snapshot without taking a transaction id, and the newest id from the index.
 */
export async function checkRestoredEvents(pool: pg.Pool): Promise<RestoreCheck> {
  const { rows } = await pool.query<{ newest: string | null; next: string }>(
    `select (select max(transaction_id) from events)::text as newest,
            pg_snapshot_xmax(pg_current_snapshot())::text as next`,
  );
  const row = rows[0];
  const newest = row?.newest ?? null;
  const next = row?.next ?? '0';
  return {
    restored: newest !== null && BigInt(newest) >= BigInt(next),
    newestTransactionId: newest,
    nextTransactionId: next,
  };
}

/** A sentence for logs and refusals: what is wrong and what to run. */
export function restoredEventsMessage(check: RestoreCheck): string {
  return `the event store holds events with transaction ids ahead of this PostgreSQL cluster (newest ${check.newestTransactionId}, cluster at ${check.nextTransactionId}): it was restored from another cluster and readers see none of those events. Stop the workers, run \`${AFTER_RESTORE_STEP}\`, start the workers, then rebuild each read model`;
}

/** The failure type of a reader whose checkpoint was taken on another cluster. */
export const CHECKPOINT_FROM_ANOTHER_CLUSTER = 'CheckpointFromAnotherCluster';

/**
 * A reader of the global order resumed from a checkpoint at or past this cluster's next
 * transaction id: no live write can have stored that id here, so it was taken on the
 * cluster the store was restored from, and after `renumberRestoredEvents` every event sorts
 * before it. Reading on would return nothing, forever, with no error: the restore guard of
 * `readAll` throws this instead.
 */
export class CheckpointFromAnotherClusterError extends Error {
  override name = CHECKPOINT_FROM_ANOTHER_CLUSTER;
  constructor(
    readonly checkpoint: GlobalCheckpoint,
    readonly nextTransactionId: string,
  ) {
    super(
      `the reader's checkpoint (transaction ${checkpoint.transactionId}, position ${checkpoint.position}) is at or past this PostgreSQL cluster's next transaction id ${nextTransactionId}: it was taken on the cluster the event store was restored from, and no event would ever be read after it here. Follow docs/runbooks.md, "After restoring the event store": stop the workers, run \`${AFTER_RESTORE_STEP}\` unless it ran already (it also clears the stored checkpoints), start the workers (they start the projectors again from the stored checkpoints), then rebuild each read model`,
    );
  }
}

/**
 * Makes restored events visible again: every event gets the same low transaction id, so
 * the readers' (transaction id, position) order becomes position order — the order the
 * events were appended in, as their positions (restored with the identity sequence) say;
 * events appended later get this cluster's ids, above it, so they still come after.
 * Projector checkpoints, taken in the other cluster's ids, are deleted. Does
 * nothing when no event is ahead of the cluster. The table is locked for the duration, so
 * no append interleaves; run it with the workers stopped.
 */
export async function renumberRestoredEvents(
  pool: pg.Pool,
): Promise<{ renumbered: number; checkpointsReset: number }> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query('lock table events in exclusive mode');
    const { rows } = await client.query<{ ahead: boolean }>(
      `select exists (
         select 1 from events where transaction_id >= pg_snapshot_xmax(pg_current_snapshot())
       ) as ahead`,
    );
    if (!rows[0]?.ahead) {
      await client.query('rollback');
      return { renumbered: 0, checkpointsReset: 0 };
    }
    // Every event, not only those ahead: a restore can leave some ids below the cluster's
    // and some above, and renumbering only the latter would put them before the former.
    const renumbered = await client.query(
      'update events set transaction_id = $1::xid8 where transaction_id <> $1::xid8',
      [RESTORED_TRANSACTION_ID],
    );
    const checkpoints = await client.query('delete from projection_checkpoints');
    // A webhook subscription keeps its place: its position, under the one id every event
    // now has (read models are rebuilt; a subscriber must neither resend nor stall).
    await client.query(
      'update subscriptions set transaction_id = $1::xid8 where transaction_id <> $1::xid8',
      [RESTORED_TRANSACTION_ID],
    );
    await client.query('commit');
    return {
      renumbered: renumbered.rowCount ?? 0,
      checkpointsReset: checkpoints.rowCount ?? 0,
    };
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
