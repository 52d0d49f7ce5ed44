import type { Client, estypes } from '@elastic/elasticsearch';

/**
 * Deletes documents by query, page by page (this Elasticsearch has no delete_by_query). Each
 * page's deletes are made searchable at once (`refresh: true`), so the next search skips
 * them, without waiting for the index's periodic refresh.
 */
export async function deleteMatching(
  es: Client,
  index: string,
  query: estypes.QueryDslQueryContainer,
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const res = await es.search({
      index,
      size: 1000,
      _source: false,
      query,
      ignore_unavailable: true,
    });
    const ids = res.hits.hits.map((h) => h._id).filter((id): id is string => Boolean(id));
    if (ids.length === 0) return deleted;
    await es.bulk({
      operations: ids.map((_id) => ({ delete: { _index: index, _id } })),
      refresh: true,
    });
    deleted += ids.length;
  }
}
