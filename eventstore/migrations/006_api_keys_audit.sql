-- Managed API keys (docs/security.md "API keys"): a key is shown once at creation and
-- kept only as its sha256 digest. Every API process holds the usable ones in memory.
create table api_keys (
  id uuid primary key,
  name text not null,
  role text not null check (role in ('reader', 'writer', 'admin')),
  digest bytea not null unique,
  created_by text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz,
  revoked_at timestamptz,
  revoked_by text,
  -- Written coalesced by each API process (a few seconds late), not per request.
  last_used_at timestamptz
);

-- A name picks one usable key out of the list; a revoked key frees its name.
create unique index api_keys_live_name on api_keys (name) where revoked_at is null;

-- Wakes every API process to reload its table: a revoked key is refused within a second.
-- Not on last_used_at: those writes change nothing a process holds.
create function api_keys_notify() returns trigger language plpgsql as $$
begin
  perform pg_notify('api_keys_changed', '');
  return null;
end $$;

create trigger api_keys_changed
  after insert or delete or update of role, digest, expires_at, revoked_at on api_keys
  for each statement execute function api_keys_notify();

-- The audit trail (docs/security.md "Audit"): one row per admin action, whatever its outcome.
create table audit_log (
  id bigint generated always as identity primary key,
  at timestamptz not null default now(),
  -- The principal's actor: `key:<id>`, `admin:<token fingerprint>`, `cli:<user>`, never a secret.
  actor text not null,
  -- The procedure (`admin.parked.retry`, `apiKeys.revoke`) or the tool (`schedules.apply`).
  action text not null,
  -- What it acted on: a key's or subscription's id, an order, a read model, a month.
  target text,
  -- The call's input (admin inputs carry no secret).
  details jsonb,
  -- 'ok', or the refusal's code (NOT_FOUND, CONFLICT, SERVICE_UNAVAILABLE, …).
  outcome text not null,
  message text,
  correlation_id text
);

create index audit_log_actor on audit_log (actor, id desc);
create index audit_log_action on audit_log (action, id desc);
create index audit_log_at on audit_log (at, id desc);
