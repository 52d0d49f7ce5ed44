import type { ClientOptions as EsClientOptions } from '@elastic/elasticsearch';
import type { RedisOptions } from 'ioredis';
import { type Config, urlsOf } from './env';
import { type ReadFile, readSettingFile } from './read-secret-file';

/**
 * Options for ioredis next to REDIS_URL: the URL carries the password and `rediss://`
 * turns TLS on; a private CA comes from REDIS_TLS_CA_PATH.
 */
export function redisTlsOptions(
  c: Pick<Config, 'REDIS_URL' | 'REDIS_TLS_CA_PATH'>,
  read?: ReadFile,
): Pick<RedisOptions, 'tls'> {
  if (!c.REDIS_TLS_CA_PATH) return {};
  return { tls: { ca: readSettingFile('REDIS_TLS_CA_PATH', c.REDIS_TLS_CA_PATH, read) } };
}

export interface RedisNode {
  host: string;
  port: number;
}

/** Where Redis is: one server (REDIS_URL), a cluster, or a primary that Sentinels name. */
export type RedisTopology =
  | { kind: 'single'; url: string }
  | { kind: 'cluster'; nodes: RedisNode[] }
  | { kind: 'sentinel'; sentinels: RedisNode[]; name: string; sentinelPassword?: string };

const nodesOf = (list: string): RedisNode[] =>
  list.split(',').map((entry) => {
    const at = entry.trim().lastIndexOf(':');
    return {
      host: entry
        .trim()
        .slice(0, at)
        .replace(/^\[|\]$/g, ''),
      port: Number(entry.trim().slice(at + 1)),
    };
  });

export function redisTopology(
  c: Pick<
    Config,
    | 'REDIS_URL'
    | 'REDIS_CLUSTER_NODES'
    | 'REDIS_SENTINELS'
    | 'REDIS_SENTINEL_NAME'
    | 'REDIS_SENTINEL_PASSWORD'
  >,
): RedisTopology {
  if (c.REDIS_CLUSTER_NODES) return { kind: 'cluster', nodes: nodesOf(c.REDIS_CLUSTER_NODES) };
  if (c.REDIS_SENTINELS) {
    return {
      kind: 'sentinel',
      sentinels: nodesOf(c.REDIS_SENTINELS),
      name: c.REDIS_SENTINEL_NAME,
      ...(c.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: c.REDIS_SENTINEL_PASSWORD } : {}),
    };
  }
  return { kind: 'single', url: c.REDIS_URL };
}

/**
 * What every node is connected with beside its address: with a cluster or Sentinels,
 * REDIS_URL gives only these (user, password, TLS), never the address.
 */
export function redisNodeOptions(
  c: Pick<Config, 'REDIS_URL' | 'REDIS_TLS_CA_PATH'>,
  read?: ReadFile,
): Pick<RedisOptions, 'username' | 'password' | 'tls'> {
  const url = new URL(c.REDIS_URL);
  const tls = redisTlsOptions(c, read);
  return {
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: tls.tls ?? {} } : {}),
  };
}

/**
 * Options for the Elasticsearch client: the URL (`https://user:password@host`, which the
 * client reads credentials from) or several, an API key, a private CA.
 */
export function elasticsearchOptions(
  c: Pick<Config, 'ELASTICSEARCH_URL' | 'ELASTICSEARCH_CA_PATH' | 'ELASTICSEARCH_API_KEY'>,
  read?: ReadFile,
): Pick<EsClientOptions, 'node' | 'auth' | 'tls'> {
  const urls = urlsOf(c.ELASTICSEARCH_URL);
  const options: Pick<EsClientOptions, 'node' | 'auth' | 'tls'> = {
    node: urls.length === 1 ? urls[0] : urls,
  };
  if (c.ELASTICSEARCH_API_KEY) options.auth = { apiKey: c.ELASTICSEARCH_API_KEY };
  if (c.ELASTICSEARCH_CA_PATH) {
    options.tls = { ca: readSettingFile('ELASTICSEARCH_CA_PATH', c.ELASTICSEARCH_CA_PATH, read) };
  }
  return options;
}

/** A URL fit for a log line: the password (and any query, which may name key files) removed. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    u.search = '';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
