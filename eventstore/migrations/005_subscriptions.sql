-- Webhook subscriptions (docs/api.md "Subscriptions"): where each endpoint's subscriber
-- stands in the global order, and what its deliveries answered.
create table subscriptions (
  id uuid primary key,
  url text not null,
  -- Public event types sent ('order.placed', …); null: every type.
  event_types text[],
  description text,
  -- Kept to sign (HMAC needs it); never logged, answered only by create and rotateSecret.
  secret text not null,
  -- The secret before the last rotation: it signs beside the new one until the time given.
  previous_secret text,
  previous_secret_until timestamptz,
  enabled boolean not null default true,
  -- Why the subscription was disabled: by an operator, 410 Gone, or its retries spent.
  disabled_reason text,
  consecutive_failures integer not null default 0,
  failing_since timestamptz,
  last_error text,
  last_status integer,
  last_delivery_at timestamptz,
  -- The checkpoint: every event up to here (in (transaction id, position) order) is
  -- acknowledged or not of the subscribed types. Replay moves it back and bumps the
  -- generation, so a save of an older generation, still in flight, cannot undo the replay.
  transaction_id xid8 not null,
  global_position bigint not null,
  generation integer not null default 0,
  checkpoint_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- One row per delivery attempt (the subscriptions.deliveries procedure); kept 7 days.
create table subscription_deliveries (
  id bigint generated always as identity primary key,
  subscription_id uuid not null references subscriptions (id) on delete cascade,
  message_id text not null,
  event_type text not null,
  global_position bigint not null,
  attempt integer not null,
  outcome text not null check (outcome in ('delivered', 'failed', 'gone', 'refused')),
  status_code integer,
  duration_ms integer not null,
  error text,
  attempted_at timestamptz not null default now()
);

create index subscription_deliveries_recent on subscription_deliveries (subscription_id, id desc);
create index subscription_deliveries_age on subscription_deliveries (attempted_at);
