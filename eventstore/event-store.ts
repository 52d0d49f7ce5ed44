import { randomBytes, randomUUID } from 'node:crypto';
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

/** One command's events for `EventStore.appendBatch`: the arguments of `append`, as data. */
export interface BatchAppend extends AppendOptions {
  streamId: string;
  /**
   * The stream's version before these events: 0 for a new stream; for a stream that has
   * an earlier entry in the same batch, the version that entry leaves it at.
   */
  expectedVersion: number;
  events: NewEvent[];
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

  /**
   * Appends many commands' events in one transaction, with one multi-row insert per table
   * fed by arrays (unnest): for bulk imports, where `append` is a round trip per command.
   * All or nothing, with the invariants of `append`: the compare-and-set on `streams`
   * (entries of one stream must follow each other in the batch, each expecting the version
   * the previous one leaves), unique (stream_id, stream_version), every command id recorded
   * with its resulting version and position, and the events' `transaction_id` from its
   * column default. Retrying a batch that committed returns its first results
   * (`duplicate: true`) and writes nothing.
   * @throws ConcurrencyError when a stream is not at its expected version (nothing is
   * written); CommandIdConflictError when a command id was used for a different payload or
   * stream; Error when the batch only partly overlaps commands appended before.
   */
  async appendBatch(streams: BatchAppend[]): Promise<AppendResult[]> {
    interface ResultRow {
      command_id: string;
      stream_version: number;
      last_position: string;
    }
    interface CommandRow extends ResultRow {
      same: boolean;
    }
    const resultOf = (entry: BatchAppend, row: ResultRow | undefined, duplicate: boolean) => {
      if (!row) throw new Error(`appendBatch: no result for command ${entry.commandId}`);
      return {
        streamId: entry.streamId,
        version: row.stream_version,
        position: Number(row.last_position),
        duplicate,
      };
    };
    // Array literals built here: the driver's generic encoder escapes element by element
    // with regular expressions, which costs about as much CPU as the database's insert.
    // JSON's string quoting is the array literal's element quoting, unless the text holds
    // control characters or surrogates (JSON would write those as escapes the array
    // parser does not know): those few take the slow, exact path.
    const textArray = (values: readonly string[]): string =>
      `{${values
        .map((v) =>
          // biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
          /[\u0000-\u001f\ud800-\udfff]/.test(v)
            ? `"${v.replace(/[\\"]/g, '\\$&')}"`
            : JSON.stringify(v),
        )
        .join(',')}}`;
    const intArray = (values: readonly number[]): string => `{${values.join(',')}}`;
    // Event ids in time order (UUID version 7: milliseconds, then a sequence within the
    // batch, then 48 random bits): a batch's ids land together in the event_id index
    // instead of on thousands of random pages (append's random ids are fine one by one).
    const timeOrderedIds = (count: number): string[] => {
      const ms = Date.now().toString(16).padStart(12, '0');
      const random = randomBytes(count * 6);
      return Array.from({ length: count }, (_, i) => {
        const seq = i & 0x3ff_ffff;
        const high = (0x7000 | (seq >>> 14)).toString(16);
        const low = (0x8000 | (seq & 0x3fff)).toString(16);
        return `${ms.slice(0, 8)}-${ms.slice(8)}-${high}-${low}-${random.toString('hex', i * 6, i * 6 + 6)}`;
      });
    };
    if (streams.length === 0) return [];

    // The versions each stream moves from and to, checked before touching the database.
    const chains = new Map<string, { from: number; to: number }>();
    const commandIds = new Set<string>();
    for (const entry of streams) {
      if (entry.events.length === 0) {
        throw new RangeError(`appendBatch: command ${entry.commandId} has no events`);
      }
      if (commandIds.has(entry.commandId.toLowerCase())) {
        throw new RangeError(`appendBatch: command id ${entry.commandId} appears twice`);
      }
      commandIds.add(entry.commandId.toLowerCase());
      const chain = chains.get(entry.streamId);
      if (!chain) {
        const from = entry.expectedVersion;
        chains.set(entry.streamId, { from, to: from + entry.events.length });
      } else if (chain.to !== entry.expectedVersion) {
        throw new ConcurrencyError(entry.streamId, entry.expectedVersion);
      } else {
        chain.to += entry.events.length;
      }
    }
    // Stream rows in key order, so concurrent batches lock them in the same order.
    const streamIds = [...chains.keys()].sort();
    const fromOf = (id: string) => chains.get(id)?.from ?? 0;
    const toOf = (id: string) => chains.get(id)?.to ?? 0;
    const created = streamIds.filter((id) => fromOf(id) === 0);
    const moved = streamIds.filter((id) => fromOf(id) > 0);

    const ev = {
      ids: timeOrderedIds(streams.reduce((n, s) => n + s.events.length, 0)),
      streams: [] as string[],
      versions: [] as number[],
      types: [] as string[],
      schemaVersions: [] as number[],
      data: [] as unknown[],
      metadata: [] as EventMetadata[],
      occurredAt: [] as string[],
    };
    const lastEventIds: string[] = [];
    for (const entry of streams) {
      const metadata: EventMetadata = { commandId: entry.commandId, ...entry.metadata };
      entry.events.forEach((event, i) => {
        ev.streams.push(entry.streamId);
        ev.versions.push(entry.expectedVersion + i + 1);
        ev.types.push(event.type);
        ev.schemaVersions.push(event.schemaVersion);
        ev.data.push(event.data);
        ev.metadata.push(metadata);
        ev.occurredAt.push(entry.metadata.occurredAt);
      });
      lastEventIds.push(ev.ids[ev.streams.length - 1] ?? '');
    }

    const client = await this.pool.connect();
    // A checked-out client has no listener of the pool's: the server ending the connection
    // between two statements (a restart) would be an unhandled 'error' event and kill the
    // process. The statement that follows fails on its own, and the catch below handles it.
    const ignore = () => undefined;
    client.on('error', ignore);
    const release = (err?: Error) => {
      client.removeListener('error', ignore);
      client.release(err);
    };
    let rows: ResultRow[];
    try {
      await client.query('begin');
      if (created.length > 0) {
        const inserted = await client.query<{ stream_id: string }>(
          `insert into streams (stream_id, version)
           select * from unnest($1::text[], $2::integer[])
           on conflict (stream_id) do nothing
           returning stream_id`,
          [textArray(created), intArray(created.map(toOf))],
        );
        if (inserted.rows.length !== created.length) {
          const done = new Set(inserted.rows.map((r) => r.stream_id));
          throw new ConcurrencyError(created.find((id) => !done.has(id)) ?? '', 0);
        }
      }
      if (moved.length > 0) {
        await client.query(
          'select 1 from streams where stream_id = any($1::text[]) order by stream_id for update',
          [textArray(moved)],
        );
        const updated = await client.query<{ stream_id: string }>(
          `update streams s set version = u.next
           from unnest($1::text[], $2::integer[], $3::integer[]) as u(stream_id, expected, next)
           where s.stream_id = u.stream_id and s.version = u.expected
           returning s.stream_id`,
          [textArray(moved), intArray(moved.map(fromOf)), intArray(moved.map(toOf))],
        );
        if (updated.rows.length !== moved.length) {
          const done = new Set(updated.rows.map((r) => r.stream_id));
          const stale = moved.find((id) => !done.has(id)) ?? '';
          throw new ConcurrencyError(stale, fromOf(stale));
        }
      }
      // Events and command records in one statement: a command's last position is the
      // position of its last event, found by that event's id. Columns are zipped by
      // position with ROWS FROM (what a multi-array unnest is), data and metadata as one
      // JSON array each: jsonb[] literals cost both sides more CPU than the insert itself.
      // Rows come in batch order, so positions follow stream versions within the batch.
      ({ rows } = await client.query<ResultRow>(
        `with e as (
           insert into events (event_id, stream_id, stream_version, event_type, schema_version,
                               data, metadata, occurred_at)
           select * from rows from (
             unnest($1::uuid[]), unnest($2::text[]), unnest($3::integer[]), unnest($4::text[]),
             unnest($5::integer[]), jsonb_array_elements($6::jsonb),
             jsonb_array_elements($7::jsonb), unnest($8::timestamptz[]))
           returning event_id, global_position
         )
         insert into commands (command_id, stream_id, command_type, payload_hash, stream_version,
                               last_position)
         select c.command_id, c.stream_id, c.command_type, c.payload_hash, c.stream_version,
                e.global_position
         from unnest($9::uuid[], $10::text[], $11::text[], $12::text[], $13::integer[],
                     $14::uuid[])
              as c(command_id, stream_id, command_type, payload_hash, stream_version, last_event_id)
         join e on e.event_id = c.last_event_id
         on conflict (command_id) do nothing
         returning command_id::text, stream_version, last_position::text`,
        [
          textArray(ev.ids),
          textArray(ev.streams),
          intArray(ev.versions),
          textArray(ev.types),
          intArray(ev.schemaVersions),
          JSON.stringify(ev.data),
          JSON.stringify(ev.metadata),
          textArray(ev.occurredAt),
          textArray(streams.map((s) => s.commandId)),
          textArray(streams.map((s) => s.streamId)),
          textArray(streams.map((s) => s.commandType)),
          textArray(streams.map((s) => s.payloadHash)),
          intArray(streams.map((s) => s.expectedVersion + s.events.length)),
          textArray(lastEventIds),
        ],
      ));
      if (rows.length !== streams.length) {
        throw new Error('appendBatch: a command id of the batch was already recorded');
      }
      await client.query('commit');
      release();
    } catch (err) {
      const rollbackError = await client.query('rollback').then(
        () => undefined,
        (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
      );
      release(rollbackError);
      // Was it a retry of a batch that committed before? Then answer as append does.
      // (Compared in SQL, as append_to_stream does, so text the database normalises
      // compares the same way.)
      let previous: CommandRow[];
      try {
        ({ rows: previous } = await this.pool.query<CommandRow>(
          `select c.command_id::text, c.stream_version, c.last_position::text,
                  (c.payload_hash = u.payload_hash and c.stream_id = u.stream_id) as same
           from unnest($1::uuid[], $2::text[], $3::text[]) as u(command_id, stream_id, payload_hash)
           join commands c on c.command_id = u.command_id`,
          [
            textArray(streams.map((s) => s.commandId)),
            textArray(streams.map((s) => s.streamId)),
            textArray(streams.map((s) => s.payloadHash)),
          ],
        ));
      } catch {
        throw err;
      }
      if (previous.length === 0) throw err;
      const conflict = previous.find((r) => !r.same);
      if (conflict) throw new CommandIdConflictError(conflict.command_id);
      const byCommand = new Map(previous.map((r) => [r.command_id.toLowerCase(), r]));
      if (previous.length !== streams.length) {
        throw new Error(
          `appendBatch: ${previous.length} of the batch's ${streams.length} command ids were appended before; append the others on their own`,
          { cause: err },
        );
      }
      return streams.map((e) => resultOf(e, byCommand.get(e.commandId.toLowerCase()), true));
    }
    const byCommand = new Map(rows.map((r) => [r.command_id.toLowerCase(), r]));
    return streams.map((e) => resultOf(e, byCommand.get(e.commandId.toLowerCase()), false));
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

  /** The results of the command ids that produced events (one query), by command id. */
  async findCommands(
    commandIds: readonly string[],
  ): Promise<
    Map<string, { streamId: string; payloadHash: string; version: number; position: number }>
  > {
    const found = new Map<
      string,
      { streamId: string; payloadHash: string; version: number; position: number }
    >();
    if (commandIds.length === 0) return found;
    const { rows } = await this.pool.query(
      `select command_id::text, stream_id, payload_hash, stream_version, last_position
       from commands where command_id = any($1::uuid[])`,
      [commandIds],
    );
    for (const row of rows) {
      found.set(String(row.command_id).toLowerCase(), {
        streamId: row.stream_id,
        payloadHash: row.payload_hash,
        version: row.stream_version,
        position: Number(row.last_position),
      });
    }
    return found;
  }

  /** Where and how a command ended, as the store knows it (null: it stored nothing). */
  async lookupCommand(commandId: string): Promise<
    | {
        outcome: 'committed';
        streamId: string;
        commandType: string;
        version: number;
        position: number;
        recordedAt: string;
      }
    | { outcome: 'refused'; streamId: string; error: unknown; recordedAt: string }
    | null
  > {
    const { rows } = await this.pool.query(
      `select 'committed' as outcome, stream_id, command_type, stream_version, last_position,
              null::jsonb as error, recorded_at
       from commands where command_id = $1
       union all
       select 'refused', stream_id, null, null, null, error, recorded_at
       from command_refusals where command_id = $1`,
      [commandId],
    );
    const row = rows[0];
    if (!row) return null;
    if (row.outcome === 'committed') {
      return {
        outcome: 'committed',
        streamId: row.stream_id,
        commandType: row.command_type,
        version: row.stream_version,
        position: Number(row.last_position),
        recordedAt: row.recorded_at.toISOString(),
      };
    }
    return {
      outcome: 'refused',
      streamId: row.stream_id,
      error: row.error,
      recordedAt: row.recorded_at.toISOString(),
    };
  }

  /** Records commands the domain refused (first record wins: a repeat changes nothing). */
  async recordRefusals(
    refusals: readonly {
      commandId: string;
      streamId: string;
      payloadHash: string;
      error: unknown;
    }[],
  ): Promise<void> {
    if (refusals.length === 0) return;
    await this.pool.query(
      `insert into command_refusals (command_id, stream_id, payload_hash, error)
       select * from unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[])
       on conflict (command_id) do nothing`,
      [
        refusals.map((r) => r.commandId),
        refusals.map((r) => r.streamId),
        refusals.map((r) => r.payloadHash),
        refusals.map((r) => JSON.stringify(r.error)),
      ],
    );
  }

  /** The refusals recorded for these command ids, by command id (lower case). */
  async findRefusals(
    commandIds: readonly string[],
  ): Promise<Map<string, { streamId: string; payloadHash: string; error: unknown }>> {
    const found = new Map<string, { streamId: string; payloadHash: string; error: unknown }>();
    if (commandIds.length === 0) return found;
    const { rows } = await this.pool.query(
      `select command_id::text, stream_id, payload_hash, error from command_refusals
       where command_id = any($1::uuid[])`,
      [commandIds],
    );
    for (const row of rows) {
      found.set(String(row.command_id).toLowerCase(), {
        streamId: row.stream_id,
        payloadHash: row.payload_hash,
        error: row.error,
      });
    }
    return found;
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
      // The page is a LATERAL subquery with its own ORDER BY/LIMIT so the planner walks
      // events_global_order from the checkpoint; as a plain join (one row of h, LIMIT on
      // the outside) it chose a sequential scan and sort of the whole table per page:
      // 11 s instead of 15 ms for 5,000 events of a 2,000,000-event store. The cast to
      // text happens outside: ORDER BY a text transaction id would sort, not use the index.
      `select h.xmin::text as horizon, ${EVENT_COLUMNS}
       from (select pg_snapshot_xmin(pg_current_snapshot()) as xmin) h
       left join lateral (
         select * from events
         where (transaction_id, global_position) > ($1::xid8, $2::bigint)
           and transaction_id < h.xmin
         order by transaction_id, global_position
         limit $3
       ) e on true
       order by e.transaction_id, e.global_position`,
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
