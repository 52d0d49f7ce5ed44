import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisTopology } from '../../config/client-options';

export type { RedisTopology };

/**
 * A single Redis, a Sentinel-managed primary, or a Redis Cluster. The read side uses only
 * what all three route: single-key commands, and scripts or MGETs whose keys share a hash
 * tag (projections/redis/keys.ts).
 */
export type RedisClient = Redis | Cluster;

/**
 * Credentials and TLS come from `options` for every node: a cluster's nodes and a Sentinel's
 * primary all take the same ones.
 */
export function connectRedis(topology: RedisTopology, options: RedisOptions = {}): RedisClient {
  switch (topology.kind) {
    case 'single':
      return new Redis(topology.url, options);
    case 'sentinel':
      return new Redis({
        ...options,
        sentinels: topology.sentinels,
        name: topology.name,
        ...(topology.sentinelPassword ? { sentinelPassword: topology.sentinelPassword } : {}),
      });
    case 'cluster': {
      const { enableOfflineQueue, lazyConnect, ...nodeOptions } = options;
      return new Cluster(topology.nodes, {
        redisOptions: nodeOptions,
        ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
        ...(lazyConnect === undefined ? {} : { lazyConnect }),
        // Commands of one tick go out as one write per node, as a pipeline would.
        enableAutoPipelining: true,
        // The slot map read again every 2 s: after a failover, auto-pipelined writes to the
        // lost primary's slots answered MOVED for good (ioredis follows a MOVED only for
        // pipelines of reads, and never re-read the map), so a projector retried forever.
        slotsRefreshInterval: 2_000,
      });
    }
  }
}

/** The servers that hold keys: every primary of a cluster, or the one Redis. */
export function primariesOf(redis: RedisClient): Redis[] {
  return redis instanceof Cluster ? redis.nodes('master') : [redis];
}
