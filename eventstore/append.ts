import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { CommandIdConflictError, ConcurrencyError } from './errors';
import type { AppendOptions, AppendResult, EventMetadata, NewEvent } from './types';

/** EventStore.append: one call of the append_to_stream SQL function, its status mapped to errors. */
export async function appendToStream(
  pool: pg.Pool,
  streamId: string,
  expectedVersion: number,
  events: NewEvent[],
  options: AppendOptions,
): Promise<AppendResult> {
  const metadata: EventMetadata = { commandId: options.commandId, ...options.metadata };
  let rows: { status: string; stream_version: number; last_position: string }[];
  try {
    ({ rows } = await pool.query(
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
