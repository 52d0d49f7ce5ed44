import type pg from 'pg';

// What the store recorded of commands: the committed ones (the commands table) and the
// ones the domain refused (command_refusals), looked up by command id. EventStore's methods
// of the same names document the contract.

/** A command that produced events: its stream, payload hash and where it left the stream. */
export interface CommittedCommand {
  streamId: string;
  payloadHash: string;
  version: number;
  position: number;
}

/** A command the domain refused, as recorded. */
export interface RefusedCommand {
  streamId: string;
  payloadHash: string;
  error: unknown;
}

/** A refusal to record: the refused command's id and what is kept of it. */
export interface CommandRefusal extends RefusedCommand {
  commandId: string;
}

/** Where and how a command ended (see lookupCommand). */
export type CommandOutcome =
  | {
      outcome: 'committed';
      streamId: string;
      commandType: string;
      version: number;
      position: number;
      recordedAt: string;
    }
  | { outcome: 'refused'; streamId: string; error: unknown; recordedAt: string };

export async function findCommands(
  pool: pg.Pool,
  commandIds: readonly string[],
): Promise<Map<string, CommittedCommand>> {
  const found = new Map<string, CommittedCommand>();
  if (commandIds.length === 0) return found;
  const { rows } = await pool.query(
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

export async function lookupCommand(
  pool: pg.Pool,
  commandId: string,
): Promise<CommandOutcome | null> {
  const { rows } = await pool.query(
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

export async function recordRefusals(
  pool: pg.Pool,
  refusals: readonly CommandRefusal[],
): Promise<void> {
  if (refusals.length === 0) return;
  await pool.query(
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

export async function findRefusals(
  pool: pg.Pool,
  commandIds: readonly string[],
): Promise<Map<string, RefusedCommand>> {
  const found = new Map<string, RefusedCommand>();
  if (commandIds.length === 0) return found;
  const { rows } = await pool.query(
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

export async function findCommand(
  pool: pg.Pool,
  commandId: string,
): Promise<CommittedCommand | null> {
  const { rows } = await pool.query(
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
