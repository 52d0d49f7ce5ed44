import type pg from 'pg';

export interface ReconciliationRecord {
  month: string;
  differences: number;
  reconciledAt: string;
}

/** Keeps `differences` as the last reconciliation of `month` (replacing the one before). */
export async function recordReconciliation(
  pool: pg.Pool,
  month: string,
  differences: number,
): Promise<void> {
  await pool.query(
    `insert into reconciliations (month, differences) values ($1, $2)
     on conflict (month) do update
       set differences = excluded.differences, reconciled_at = now()`,
    [month, differences],
  );
}

/** The last reconciliation of every month reconciled, oldest month first. */
export async function lastReconciliations(pool: pg.Pool): Promise<ReconciliationRecord[]> {
  const { rows } = await pool.query<{ month: string; differences: number; reconciled_at: Date }>(
    'select month, differences, reconciled_at from reconciliations order by month',
  );
  return rows.map((r) => ({
    month: r.month,
    differences: r.differences,
    reconciledAt: r.reconciled_at.toISOString(),
  }));
}
