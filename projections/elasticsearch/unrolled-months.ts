import type { Client } from '@elastic/elasticsearch';
import { monthSpan, monthsBetween } from '../../domain/report-months';
import { reportsIndexName } from './names';

type Buckets = { buckets?: { key: string }[] } | undefined;
const keysOf = (agg: unknown): string[] => ((agg as Buckets)?.buckets ?? []).map((b) => b.key);

/**
 * The months from `from` to `to` (YYYY-MM, inclusive) that have completed orders in the
 * read model and were never rolled up (no month marker, no manifest), oldest first.
 *
 * Two aggregations, both cheap at any scale: the months already rolled up come from the
 * reports index (one marker or a few manifests per month); completions are then counted
 * only in the months left, so once history is caught up the second query matches just
 * the months that are about to be rolled up anyway. The read model, not the event store:
 * a rollup is computed from it, it holds each order's report month in the report time
 * zone as a keyword (the event store has only the instant, with no index to find months
 * by), and retention already keeps it to the months a rollup may cover.
 */
export async function monthsNeverRolledUp(
  es: Client,
  prefix: string,
  ordersIndex: string,
  { from, to }: { from: string; to: string },
): Promise<string[]> {
  const span = monthSpan(from, to);
  if (span <= 0) return [];
  const rolledUp = await es.search({
    index: reportsIndexName(prefix),
    size: 0,
    query: {
      bool: {
        filter: [
          { terms: { kind: ['month', 'manifest'] } },
          { range: { period: { gte: from, lte: to } } },
        ],
      },
    },
    aggs: { months: { terms: { field: 'period', size: span } } },
    ignore_unavailable: true,
  });
  const done = new Set(keysOf(rolledUp.aggregations?.months));
  const candidates = monthsBetween(from, to).filter((m) => !done.has(m));
  if (candidates.length === 0) return [];
  const completed = await es.search({
    index: ordersIndex,
    size: 0,
    query: {
      bool: {
        // A refunded order was completed in its report month too (the restated view drops
        // it, the booked view counts it): the month has completions either way.
        filter: [
          { terms: { status: ['completed', 'refunded'] } },
          { terms: { reportMonth: candidates } },
        ],
      },
    },
    aggs: { months: { terms: { field: 'reportMonth', size: candidates.length } } },
  });
  return keysOf(completed.aggregations?.months).sort();
}
