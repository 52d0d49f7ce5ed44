import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { CommandIdConflictError, ConcurrencyError } from './errors';
import type {
  AppendOptions,
  AppendResult,
  EventMetadata,
  GlobalCheckpoint,
  NewEvent,
  ReadAllResult,
  StoredEvent,
} from './types';

interface EventRow {
  event_id: string;
  stream_id: string;
  stream_version: number;
  global_position: string;
  transaction_id: string;
  event_type: string;
  schema_version: number;
  data: unknown;
  metadata: EventMetadata;
  recorded_at: Date;
}

const EVENT_COLUMNS = `event_id, stream_id, stream_version, global_position,
  transaction_id::text as transaction_id, event_type, schema_version, data, metadata, recorded_at`;

function toStored(row: EventRow): StoredEvent {
  return {
    eventId: row.event_id,
    streamId: row.stream_id,
    streamVersion: row.stream_version,
    globalPosition: Number(row.global_position),
    transactionId: row.transaction_id,
    type: row.event_type,
    schemaVersion: row.schema_version,
    data: row.data,
    metadata: row.metadata,
    recordedAt: row.recorded_at.toISOString(),
  };
}

/** PostgreSQL event store: append with optimistic concurrency, read a stream, read all in a safe global order. */
export class EventStore {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Appends events to a stream expected to be at `expectedVersion` (0 for a new stream),
   * in one transaction. Re-appending a command id returns the first result without writing.
   * @throws ConcurrencyError when the stream moved on; CommandIdConflictError when the
   * command id was used for a different payload.
   */
  async append(
    streamId: string,
    expectedVersion: number,
    events: NewEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    const metadata: EventMetadata = { commandId: options.commandId, ...options.metadata };
    let rows: { status: string; stream_version: number; last_position: string }[];
    try {
      ({ rows } = await this.pool.query(
        `select * from append_to_stream($1, $2, $3, $4, $5, $6::uuid[], $7::text[], $8::integer[],
           $9::jsonb[], $10::jsonb[], $11::timestamptz[])`,
        [
          streamId,
          expectedVersion,
          options.commandId,
          options.commandType,
          options.payloadHash,
          events.map(() => randomUUID()),
          events.map((e) => e.type),
          events.map((e) => e.schemaVersion),
          events.map((e) => JSON.stringify(e.data)),
          events.map(() => JSON.stringify(metadata)),
          events.map(() => metadata.occurredAt),
        ],
      ));
    } catch (err) {
      if ((err as { code?: string }).code === 'ES409')
        throw new ConcurrencyError(streamId, expectedVersion);
      throw err;
    }
    const row = rows[0];
    if (!row) throw new Error('append_to_stream returned no row');
    if (row.status === 'command_conflict') throw new CommandIdConflictError(options.commandId);
    return {
      streamId,
      version: row.stream_version,
      position: Number(row.last_position),
      duplicate: row.status === 'duplicate',
    };
  }

  /** All events of one stream, in stream order. */
  async readStream(streamId: string): Promise<StoredEvent[]> {
    const { rows } = await this.pool.query<EventRow>(
      `select ${EVENT_COLUMNS} from events where stream_id = $1 order by stream_version`,
      [streamId],
    );
    return rows.map(toStored);
  }

  /** All events of several streams, grouped by stream in stream order (one query). */
  async readStreams(streamIds: string[]): Promise<Map<string, StoredEvent[]>> {
    const { rows } = await this.pool.query<EventRow>(
      `select ${EVENT_COLUMNS} from events where stream_id = any($1::text[]) order by stream_id, stream_version`,
      [streamIds],
    );
    const byStream = new Map<string, StoredEvent[]>();
    for (const row of rows) {
      const event = toStored(row);
      const list = byStream.get(event.streamId);
      if (list) list.push(event);
      else byStream.set(event.streamId, [event]);
    }
    return byStream;
  }

  /** The result a command id produced, if it produced events. */
  async findCommand(
    commandId: string,
  ): Promise<{ streamId: string; payloadHash: string; version: number; position: number } | null> {
    const { rows } = await this.pool.query(
      'select stream_id, payload_hash, stream_version, last_position from commands where command_id = $1',
      [commandId],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      streamId: row.stream_id,
      payloadHash: row.payload_hash,
      version: row.stream_version,
      position: Number(row.last_position),
    };
  }

  /**
   * Events of every stream after `after`, in commit-safe global order: only events of
   * transactions older than every transaction still running are returned, ordered by
   * (transaction id, position), so an event committed late is never skipped.
   */
  async readAll(after: GlobalCheckpoint, limit: number): Promise<ReadAllResult> {
    const { rows } = await this.pool.query<EventRow & { horizon: string }>(
      `with h as (select pg_snapshot_xmin(pg_current_snapshot()) as xmin)
       select ${EVENT_COLUMNS}, h.xmin::text as horizon
       from h left join events e
         on (e.transaction_id, e.global_position) > ($1::xid8, $2::bigint) and e.transaction_id < h.xmin
       order by e.transaction_id, e.global_position
       limit $3`,
      [after.transactionId, after.position, limit],
    );
    const horizon = rows[0]?.horizon ?? after.transactionId;
    const events = rows.filter((r) => r.event_id !== null).map(toStored);
    const last = events[events.length - 1];
    return {
      events,
      checkpoint: last
        ? { transactionId: last.transactionId, position: last.globalPosition }
        : after,
      horizon,
    };
  }

  /**
   * The id the next transaction will get. Once a reader's horizon reaches it, every
   * transaction that was running or done when this was taken has been read.
   */
  async watermark(): Promise<string> {
    const { rows } = await this.pool.query<{ xmax: string }>(
      'select pg_snapshot_xmax(pg_current_snapshot())::text as xmax',
    );
    return rows[0]?.xmax ?? '0';
  }
}
