// The bench's Elasticsearch indices: clearing what earlier runs left, and the size of the
// index a run measures its reports on.
import type { Client as EsClient } from '@elastic/elasticsearch';
import { ordersIndexPattern, reportsIndexName } from '../../projections/elasticsearch';
import { ES_PREFIX } from './settings';

/** Removes the bench generations but `keep` (by name: wildcard deletes may be refused). */
export async function dropBenchIndices(es: EsClient, keep: string | null): Promise<void> {
  const rows = await es.cat.indices({
    index: ordersIndexPattern(ES_PREFIX),
    h: 'index',
    format: 'json',
    expand_wildcards: 'all',
  });
  const names = rows
    .map((r) => r.index)
    .filter((n): n is string => typeof n === 'string' && n !== keep);
  if (names.length > 0) await es.indices.delete({ index: names });
}

/**
 * Removes the rollups an earlier run left (they stay for bench/command-path.ts): until (e)
 * rolls this data set up, a closed month must not be answered from another run's rollup.
 */
export async function dropBenchRollups(es: EsClient): Promise<void> {
  await es.indices.delete({ index: reportsIndexName(ES_PREFIX) }, { ignore: [404] });
}

export interface IndexFootprint {
  index: string;
  luceneDocs: number | null;
  storeBytes: number | null;
  segments: number;
}

export async function indexFootprint(es: EsClient, index: string): Promise<IndexFootprint> {
  const [indexStats, segments] = await Promise.all([
    es.indices.stats({ index, metric: ['docs', 'store', 'segments'] }),
    es.cat.segments({ index, format: 'json' }),
  ]);
  const primaries = indexStats.indices?.[index]?.primaries;
  return {
    index,
    luceneDocs: primaries?.docs?.count ?? null,
    storeBytes: primaries?.store?.size_in_bytes ?? null,
    segments: segments.length,
  };
}
