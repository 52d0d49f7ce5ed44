-- Readers of the global order (the projectors) LISTEN on this channel to wake within
-- milliseconds of a commit instead of polling. NOTIFY is delivered at commit, once per
-- statement that appended events (append_to_stream and bulk appends alike).
create function notify_events_appended() returns trigger
language plpgsql as $$
begin
  perform pg_notify('events_appended', '');
  return null;
end;
$$;

create trigger events_appended
  after insert on events
  for each statement
  execute function notify_events_appended();

-- Where each projector stands, written after each batch it projected: for status, lag
-- and read-your-writes waits. The projector workflow's own state is the source of truth.
create table projection_checkpoints (
  projector text primary key,
  transaction_id xid8 not null,
  global_position bigint not null,
  updated_at timestamptz not null default now()
);
