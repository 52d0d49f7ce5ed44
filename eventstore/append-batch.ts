import type pg from 'pg';
import { intArray, textArray, timeOrderedIds } from './batch-arrays';
import {
  CommandIdConflictError,
  ConcurrencyError,
  InvalidBatchError,
  PartlyAppendedError,
} from './errors';
import type { AppendOptions, AppendResult, EventMetadata, NewEvent } from './types';

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

/** EventStore.appendBatch: checks the batch's version chains, then writes it in one transaction. */
export async function appendBatch(pool: pg.Pool, streams: BatchAppend[]): Promise<AppendResult[]> {
  interface ResultRow {
    command_id: string;
    stream_version: number;
    last_position: string;
  }
  interface CommandRow extends ResultRow {
    same: boolean;
  }
  const resultOf = (entry: BatchAppend, row: ResultRow | undefined, duplicate: boolean) => {
    if (!row) throw new InvalidBatchError(`appendBatch: no result for command ${entry.commandId}`);
    return {
      streamId: entry.streamId,
      version: row.stream_version,
      position: Number(row.last_position),
      duplicate,
    };
  };
  if (streams.length === 0) return [];

  // The versions each stream moves from and to, checked before touching the database.
  const chains = new Map<string, { from: number; to: number }>();
  const commandIds = new Set<string>();
  for (const entry of streams) {
    if (entry.events.length === 0) {
      throw new InvalidBatchError(`appendBatch: command ${entry.commandId} has no events`);
    }
    if (commandIds.has(entry.commandId.toLowerCase())) {
      throw new InvalidBatchError(`appendBatch: command id ${entry.commandId} appears twice`);
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

  const client = await pool.connect();
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
      throw new PartlyAppendedError('appendBatch: a command id of the batch was already recorded');
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
      ({ rows: previous } = await pool.query<CommandRow>(
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
      throw new PartlyAppendedError(
        `appendBatch: ${previous.length} of the batch's ${streams.length} command ids were appended before; append the others on their own`,
        { cause: err },
      );
    }
    return streams.map((e) => resultOf(e, byCommand.get(e.commandId.toLowerCase()), true));
  }
  const byCommand = new Map(rows.map((r) => [r.command_id.toLowerCase(), r]));
  return streams.map((e) => resultOf(e, byCommand.get(e.commandId.toLowerCase()), false));
}
