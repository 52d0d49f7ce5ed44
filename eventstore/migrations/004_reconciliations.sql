-- The last reconciliation of each month, whichever way it ran (the API, `npm run reconcile`,
-- the workflow): exported as orders_reconciliation_last_differences{month}, so a clean month
-- never hides another's differences and a short-lived script's result is seen too.
create table reconciliations (
  month text primary key check (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  differences integer not null check (differences >= 0),
  reconciled_at timestamptz not null default now()
);
