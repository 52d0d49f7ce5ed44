import type { Client, estypes } from '@elastic/elasticsearch';
import { responseErrorOf } from './es-errors';
import { reportsIndexName } from './names';

/**
 * A month's marker document in the reports index (`month|<month>`): written before its first
 * rollup reads anything, and the month's count of late changes. The projector counts each
 * change it projects into a rolled-up month (`changes`); a rollup records the count it
 * started from once all its slots are written (`rolledUpChanges`). While `changes` is ahead
 * the month's rollups miss a change, and its reports are answered live.
 */
export interface MonthMarker {
  kind: 'month';
  period: string;
  /** Absent on a marker a change created (a month rolled up before markers existed). */
  generatedAt?: string;
  changes?: number;
  rolledUpChanges?: number;
}

/** The marker's fields in the reports index's (strict) mapping. */
export const MONTH_MARKER_MAPPING: Record<string, estypes.MappingProperty> = {
  changes: { type: 'long' },
  rolledUpChanges: { type: 'long' },
};

export const monthMarkerId = (month: string) => `month|${month}`;

/** Conflicts are two writers of one small document: a few rereads settle them. */
const MAX_CONFLICTS = 20;

/**
 * Reads the marker and writes `change(marker)` back, conditioned on what was read (this
 * Elasticsearch distribution has no scripting module, so no scripted update): a concurrent
 * writer makes it read again. `change` answering null writes nothing. Answers what is stored.
 */
async function updateMarker(
  es: Client,
  prefix: string,
  month: string,
  change: (marker: MonthMarker | null) => MonthMarker | null,
  refresh?: true,
): Promise<MonthMarker | null> {
  const index = reportsIndexName(prefix);
  const id = monthMarkerId(month);
  for (let attempt = 1; ; attempt++) {
    const res = await es.get<MonthMarker>({ index, id }, { ignore: [404] });
    const current = res.found && res._source ? res._source : null;
    const next = change(current);
    if (next === null) return current;
    try {
      await es.index({
        index,
        id,
        document: next,
        ...(refresh ? { refresh } : {}),
        ...(current
          ? { if_seq_no: res._seq_no ?? 0, if_primary_term: res._primary_term ?? 0 }
          : { op_type: 'create' as const }),
      });
      return next;
    } catch (err) {
      if (responseErrorOf(err)?.status !== 409 || attempt >= MAX_CONFLICTS) throw err;
    }
  }
}

/**
 * Marks `month` as rolled up, before its first slot is computed: from then on every change
 * to the month (in any slot, new ones included) re-rolls it, so a refund projected while a
 * rollup computes is never missed. Visible to searches on return. Answers the month's change
 * count at that moment: the rollup about to be computed includes every change counted so far.
 */
export async function markMonthRolledUp(
  es: Client,
  prefix: string,
  month: string,
  at: string,
): Promise<number> {
  const marker = await updateMarker(
    es,
    prefix,
    month,
    (m) => ({ ...m, kind: 'month', period: month, generatedAt: at }),
    true,
  );
  return marker?.changes ?? 0;
}

/**
 * Counts a change projected into a rolled-up month. The projector does it before it
 * invalidates the month's cached reports: a reader that sees the new cache generation also
 * sees the count, so it never reads (or caches) a rollup without the change.
 */
export async function noteMonthChanged(es: Client, prefix: string, month: string): Promise<void> {
  await updateMarker(es, prefix, month, (m) => ({
    ...m,
    kind: 'month',
    period: month,
    changes: (m?.changes ?? 0) + 1,
  }));
}

/**
 * Every slot of a rollup that started at change count `asOf` is written: the month's rollups
 * include the changes counted up to it (never moved back by an older, slower rollup).
 */
export async function markRollupCaughtUp(
  es: Client,
  prefix: string,
  month: string,
  asOf: number,
): Promise<void> {
  await updateMarker(es, prefix, month, (m) =>
    // No marker: retention deleted the month meanwhile, nothing is left to be current.
    m === null || (m.rolledUpChanges ?? 0) >= asOf ? null : { ...m, rolledUpChanges: asOf },
  );
}

/** Whether a month's rollups include every change counted (no marker: nothing counted). */
export function rollupCaughtUp(marker: MonthMarker | undefined): boolean {
  return (marker?.changes ?? 0) <= (marker?.rolledUpChanges ?? 0);
}

/**
 * Whether `month` has been rolled up (or a rollup of it has begun): its marker, or, for
 * months rolled up before markers existed, a manifest of any of its slots.
 */
export async function isMonthRolledUp(es: Client, prefix: string, month: string): Promise<boolean> {
  const res = await es.search({
    index: reportsIndexName(prefix),
    size: 0,
    terminate_after: 1,
    query: {
      bool: { filter: [{ terms: { kind: ['month', 'manifest'] } }, { term: { period: month } }] },
    },
    ignore_unavailable: true,
  });
  const total = res.hits.total;
  return (typeof total === 'number' ? total : (total?.value ?? 0)) > 0;
}
