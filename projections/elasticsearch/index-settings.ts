import type { estypes } from '@elastic/elasticsearch';

/**
 * Copies of each shard, as ELASTICSEARCH_REPLICAS says: a number, or a range that follows
 * the cluster's size. Unset: `0-1`, none on one node (where a replica could never be
 * assigned and would leave the index yellow) and one from two nodes on, so losing a node
 * leaves every shard served.
 */
export function replicaSettings(replicas = '0-1'): estypes.IndicesIndexSettings {
  return /^\d+$/.test(replicas)
    ? { number_of_replicas: Number(replicas), auto_expand_replicas: 'false' }
    : { auto_expand_replicas: replicas };
}

/** One primary shard: it makes terms aggregations exact (every order on one shard). */
export function indexSettings(replicas?: string): estypes.IndicesIndexSettings {
  return { number_of_shards: 1, ...replicaSettings(replicas) };
}
