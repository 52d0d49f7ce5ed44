import type { ClientOptions as EsClientOptions } from '@elastic/elasticsearch';
import type { RedisOptions } from 'ioredis';
import type { Config } from './env';
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

/**
 * Options for the Elasticsearch client: the URL (`https://user:password@host`, which the
 * client reads credentials from), an API key, a private CA.
 */
export function elasticsearchOptions(
  c: Pick<Config, 'ELASTICSEARCH_URL' | 'ELASTICSEARCH_CA_PATH' | 'ELASTICSEARCH_API_KEY'>,
  read?: ReadFile,
): Pick<EsClientOptions, 'node' | 'auth' | 'tls'> {
  const options: Pick<EsClientOptions, 'node' | 'auth' | 'tls'> = { node: c.ELASTICSEARCH_URL };
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
