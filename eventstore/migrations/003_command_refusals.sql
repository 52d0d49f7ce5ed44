-- Commands the domain refused: they wrote no events, yet the same command id must get the
-- same answer however long after (and CONFLICT with another payload), as a committed one
-- does through `commands`. Written by the command partitions, which keep no per-command
-- workflow result to answer from.
create table command_refusals (
  command_id uuid primary key,
  stream_id text not null,
  payload_hash text not null,
  error jsonb not null,
  recorded_at timestamptz not null default now()
);
