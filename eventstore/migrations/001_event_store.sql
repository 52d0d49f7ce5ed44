-- The event store: the write model and the source of truth.

create table streams (
  stream_id text primary key,
  version integer not null check (version > 0)
);

create table events (
  global_position bigint generated always as identity primary key,
  -- The writing transaction's id: readers of the global order only take events below the
  -- oldest running transaction, so a late commit can never be skipped.
  transaction_id xid8 not null default pg_current_xact_id(),
  event_id uuid not null unique,
  stream_id text not null,
  stream_version integer not null check (stream_version > 0),
  event_type text not null,
  schema_version integer not null check (schema_version > 0),
  data jsonb not null,
  metadata jsonb not null,
  occurred_at timestamptz not null,
  recorded_at timestamptz not null default now(),
  unique (stream_id, stream_version)
);

create index events_global_order on events (transaction_id, global_position);

-- One row per command that produced events: the idempotency record.
create table commands (
  command_id uuid primary key,
  stream_id text not null,
  command_type text not null,
  payload_hash text not null,
  stream_version integer not null,
  last_position bigint not null,
  recorded_at timestamptz not null default now()
);

-- Appends a command's events in one round trip and one transaction.
-- Returns 'appended' or 'duplicate' (the command id was seen with the same payload hash:
-- nothing is written, the first result is returned) or 'command_conflict' (same id,
-- other payload). A stale expected version raises SQLSTATE ES409, which rolls back the
-- whole statement, command record included.
create function append_to_stream(
  p_stream_id text,
  p_expected_version integer,
  p_command_id uuid,
  p_command_type text,
  p_payload_hash text,
  p_event_ids uuid[],
  p_types text[],
  p_schema_versions integer[],
  p_data jsonb[],
  p_metadata jsonb[],
  p_occurred_at timestamptz[]
) returns table (status text, stream_version integer, last_position bigint)
language plpgsql as $$
declare
  v_count integer := cardinality(p_event_ids);
  v_new_version integer := p_expected_version + cardinality(p_event_ids);
  v_existing commands%rowtype;
  v_last bigint;
begin
  insert into commands (command_id, stream_id, command_type, payload_hash, stream_version, last_position)
  values (p_command_id, p_stream_id, p_command_type, p_payload_hash, 0, 0)
  on conflict (command_id) do nothing;
  if not found then
    select * into v_existing from commands c where c.command_id = p_command_id;
    if v_existing.payload_hash <> p_payload_hash or v_existing.stream_id <> p_stream_id then
      return query select 'command_conflict'::text, v_existing.stream_version, v_existing.last_position;
    else
      return query select 'duplicate'::text, v_existing.stream_version, v_existing.last_position;
    end if;
    return;
  end if;

  if v_count = 0 then
    raise exception 'append_to_stream: no events' using errcode = '22023';
  end if;

  if p_expected_version = 0 then
    insert into streams (stream_id, version) values (p_stream_id, v_new_version)
    on conflict (stream_id) do nothing;
  else
    update streams s set version = v_new_version
    where s.stream_id = p_stream_id and s.version = p_expected_version;
  end if;
  if not found then
    raise exception 'stream % is not at version %', p_stream_id, p_expected_version
      using errcode = 'ES409';
  end if;

  insert into events (event_id, stream_id, stream_version, event_type, schema_version, data, metadata, occurred_at)
  select e.id, p_stream_id, p_expected_version + e.n::integer, e.t, e.v, e.d, e.m, e.o
  from unnest(p_event_ids, p_types, p_schema_versions, p_data, p_metadata, p_occurred_at)
       with ordinality as e(id, t, v, d, m, o, n);

  select max(global_position) into v_last from events ev
  where ev.stream_id = p_stream_id and ev.stream_version > p_expected_version;

  update commands c set stream_version = v_new_version, last_position = v_last
  where c.command_id = p_command_id;

  return query select 'appended'::text, v_new_version, v_last;
end;
$$;
