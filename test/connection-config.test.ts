import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as EsClient } from '@elastic/elasticsearch';
import { Redis } from 'ioredis';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  elasticsearchOptions,
  redactUrl,
  redisNodeOptions,
  redisTlsOptions,
  redisTopology,
} from '../config/client-options';
import { parseConfig } from '../config/env';
import { temporalConnectionOptions } from '../temporal/connection-options';

// Real files: the option builders read certificates once, at start-up.
const dir = mkdtempSync(join(tmpdir(), 'connection-config-'));
const file = (name: string, content: string): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const CA = file('ca.pem', '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n');
const CERT = file('client.pem', '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n');
const KEY = file('client.key', '-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n');
const MISSING = join(dir, 'missing.pem');

function refusal(env: NodeJS.ProcessEnv): string {
  try {
    parseConfig(env);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('parseConfig accepted it');
}

describe('configuration: NODE_ENV and URLs', () => {
  it('defaults to development and to the stack, whose Redis has a password', () => {
    const c = parseConfig({});
    expect(c.NODE_ENV).toBe('development');
    expect(c.TEMPORAL_TLS).toBe(false);
    expect(new URL(c.REDIS_URL).password).toBe('orders');
  });

  it('takes production and test, refuses anything else', () => {
    expect(parseConfig({ NODE_ENV: 'production' }).NODE_ENV).toBe('production');
    expect(parseConfig({ NODE_ENV: 'test' }).NODE_ENV).toBe('test');
    expect(refusal({ NODE_ENV: 'prod' })).toMatch(/NODE_ENV/);
  });

  it('refuses a URL of the wrong kind without quoting it (it may carry a password)', () => {
    const message = refusal({
      DATABASE_URL: 'mysql://orders:pg-s3cret@db:3306/orders',
      REDIS_URL: 'http://:redis-s3cret@cache:6379',
      ELASTICSEARCH_URL: 'not a url with es-s3cret',
    });
    expect(message).toMatch(
      /DATABASE_URL: must be a URL starting with postgres:\/\/ or postgresql:\/\//,
    );
    expect(message).toMatch(/REDIS_URL: must be a URL starting with redis:\/\/ or rediss:\/\//);
    expect(message).toMatch(
      /ELASTICSEARCH_URL: must be a URL starting with http:\/\/ or https:\/\//,
    );
    expect(message).not.toMatch(/s3cret/);
  });

  it('accepts TLS URLs with credentials for each server', () => {
    const c = parseConfig({
      DATABASE_URL: `postgresql://app:pw@db.internal:5432/orders?sslmode=verify-full&sslrootcert=${CA}`,
      REDIS_URL: 'rediss://app:pw@cache.internal:6380/0',
      REDIS_TLS_CA_PATH: CA,
      ELASTICSEARCH_URL: 'https://elastic:pw@search.internal:9200',
      ELASTICSEARCH_CA_PATH: CA,
    });
    expect(c.REDIS_TLS_CA_PATH).toBe(CA);
  });
});

describe('configuration: half-set TLS is refused', () => {
  const cases: [string, NodeJS.ProcessEnv, RegExp][] = [
    [
      'a Temporal client certificate without its key',
      { TEMPORAL_TLS: 'true', TEMPORAL_TLS_CERT_PATH: CERT },
      /TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH: set both/,
    ],
    [
      'a Temporal key without its certificate',
      { TEMPORAL_TLS: 'true', TEMPORAL_TLS_KEY_PATH: KEY },
      /TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH: set both/,
    ],
    [
      'a Temporal CA without TEMPORAL_TLS',
      { TEMPORAL_TLS_CA_PATH: CA },
      /TEMPORAL_TLS_CA_PATH: set TEMPORAL_TLS=true/,
    ],
    [
      'a Temporal server name without TEMPORAL_TLS',
      { TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' },
      /TEMPORAL_TLS_SERVER_NAME: set TEMPORAL_TLS=true/,
    ],
    ['TEMPORAL_TLS that is not a boolean', { TEMPORAL_TLS: 'yes' }, /TEMPORAL_TLS/],
    [
      'a Redis CA with a redis:// URL',
      { REDIS_TLS_CA_PATH: CA },
      /REDIS_TLS_CA_PATH: REDIS_URL must start with rediss:\/\//,
    ],
    [
      'an Elasticsearch CA with an http:// URL',
      { ELASTICSEARCH_CA_PATH: CA },
      /ELASTICSEARCH_CA_PATH: ELASTICSEARCH_URL must start with https:\/\//,
    ],
    [
      'an Elasticsearch API key next to URL credentials',
      { ELASTICSEARCH_URL: 'https://elastic:es-s3cret@search:9200', ELASTICSEARCH_API_KEY: 'k' },
      /ELASTICSEARCH_API_KEY: ELASTICSEARCH_URL carries credentials too/,
    ],
    [
      'a PostgreSQL client certificate without its key',
      {
        DATABASE_URL: `postgresql://orders:pg-s3cret@db/orders?sslmode=verify-full&sslcert=${CERT}`,
      },
      /DATABASE_URL: sslcert and sslkey go together/,
    ],
  ];
  for (const [name, env, message] of cases) {
    it(`refuses ${name}`, () => {
      const text = refusal(env);
      expect(text).toMatch(message);
      expect(text).not.toMatch(/s3cret/);
    });
  }
});

describe('Temporal connection options', () => {
  const base = parseConfig({});

  it('plain by default: the address alone', () => {
    expect(temporalConnectionOptions(base)).toEqual({ address: '127.0.0.1:7233' });
  });

  it('mTLS: the CA, the client pair and the server name, read from their files', () => {
    const options = temporalConnectionOptions(
      parseConfig({
        TEMPORAL_ADDRESS: 'temporal.internal:7233',
        TEMPORAL_TLS: 'true',
        TEMPORAL_TLS_CA_PATH: CA,
        TEMPORAL_TLS_CERT_PATH: CERT,
        TEMPORAL_TLS_KEY_PATH: KEY,
        TEMPORAL_TLS_SERVER_NAME: 'frontend.internal',
      }),
    );
    expect(options.address).toBe('temporal.internal:7233');
    expect(options.apiKey).toBeUndefined();
    expect(options.tls?.serverNameOverride).toBe('frontend.internal');
    expect(Buffer.from(options.tls?.serverRootCACertificate ?? []).toString()).toContain('ca');
    expect(Buffer.from(options.tls?.clientCertPair?.crt ?? []).toString()).toContain('client');
    expect(Buffer.from(options.tls?.clientCertPair?.key ?? []).toString()).toContain('PRIVATE KEY');
  });

  it('an API key turns TLS on (system CAs) and is passed as the apiKey option', () => {
    const options = temporalConnectionOptions(
      parseConfig({ TEMPORAL_ADDRESS: 'ns.tmprl.cloud:7233', TEMPORAL_API_KEY: 'key-s3cret' }),
    );
    expect(options).toEqual({ address: 'ns.tmprl.cloud:7233', apiKey: 'key-s3cret', tls: {} });
  });

  it('a file that cannot be read is named with its setting, its content never quoted', () => {
    expect(() =>
      temporalConnectionOptions({ ...base, TEMPORAL_TLS: true, TEMPORAL_TLS_CA_PATH: MISSING }),
    ).toThrow(`TEMPORAL_TLS_CA_PATH: cannot read ${MISSING} (ENOENT)`);
  });

  it('refuses a half-set client pair also when called without parseConfig', () => {
    expect(() =>
      temporalConnectionOptions({ ...base, TEMPORAL_TLS: true, TEMPORAL_TLS_CERT_PATH: CERT }),
    ).toThrow(/set both or neither/);
  });
});

describe('Redis, Elasticsearch and PostgreSQL client options', () => {
  it('Redis: the password from the URL, TLS with the CA file for rediss://', () => {
    const c = parseConfig({
      REDIS_URL: 'rediss://:pw@cache.internal:6380/2',
      REDIS_TLS_CA_PATH: CA,
    });
    const options = redisTlsOptions(c);
    const redis = new Redis(c.REDIS_URL, { lazyConnect: true, ...options });
    try {
      expect(redis.options.password).toBe('pw');
      expect(redis.options.db).toBe(2);
      expect(String((redis.options.tls as { ca: Buffer }).ca)).toContain('ca');
    } finally {
      redis.disconnect();
    }
    expect(redisTlsOptions(parseConfig({}))).toEqual({});
  });

  it('Elasticsearch: API key, CA file; credentials in the URL become basic auth', async () => {
    const withKey = elasticsearchOptions(
      parseConfig({
        ELASTICSEARCH_URL: 'https://search:9200',
        ELASTICSEARCH_API_KEY: 'es-key',
        ELASTICSEARCH_CA_PATH: CA,
      }),
    );
    expect(withKey.auth).toEqual({ apiKey: 'es-key' });
    expect(String((withKey.tls as { ca: Buffer }).ca)).toContain('ca');
    const es = new EsClient(
      elasticsearchOptions(parseConfig({ ELASTICSEARCH_URL: 'https://elastic:pw@search:9200' })),
    );
    try {
      const [connection] = es.connectionPool.connections;
      expect(connection?.headers?.authorization).toBe(
        `Basic ${Buffer.from('elastic:pw').toString('base64')}`,
      );
    } finally {
      await es.close();
    }
  });

  it('Elasticsearch: several nodes in ELASTICSEARCH_URL, comma-separated, each one checked', async () => {
    const c = parseConfig({
      ELASTICSEARCH_URL: 'http://10.0.0.1:9200, http://10.0.0.2:9200',
    });
    const es = new EsClient(elasticsearchOptions(c));
    try {
      // The client spreads requests over both and leaves out a node that stops answering.
      expect(es.connectionPool.connections.map((n) => n.url.origin)).toEqual([
        'http://10.0.0.1:9200',
        'http://10.0.0.2:9200',
      ]);
    } finally {
      await es.close();
    }
    expect(() => parseConfig({ ELASTICSEARCH_URL: 'http://10.0.0.1:9200,ftp://x:pw@y' })).toThrow(
      /ELASTICSEARCH_URL: must be a URL starting with http:\/\/ or https:\/\//,
    );
    expect(() =>
      parseConfig({
        ELASTICSEARCH_URL: 'https://a:9200,http://b:9200',
        ELASTICSEARCH_CA_PATH: CA,
      }),
    ).toThrow(/ELASTICSEARCH_CA_PATH: ELASTICSEARCH_URL must start with https:\/\//);
  });

  it('PostgreSQL: sslmode and sslrootcert in DATABASE_URL reach the client as verified TLS with that CA', () => {
    const c = parseConfig({
      DATABASE_URL: `postgresql://app:pw@db.internal:5432/orders?sslmode=verify-full&sslrootcert=${CA}`,
    });
    const client = new pg.Client({ connectionString: c.DATABASE_URL });
    const ssl = (
      client as unknown as {
        connectionParameters: { ssl: { ca?: string; rejectUnauthorized?: boolean } };
      }
    ).connectionParameters.ssl;
    expect(ssl.ca).toContain('ca');
    expect(ssl.rejectUnauthorized).not.toBe(false);
  });

  it('redactUrl keeps the host and drops the password and query', () => {
    expect(redactUrl('redis://:orders@127.0.0.1:6379/1')).toBe('redis://:***@127.0.0.1:6379/1');
    expect(redactUrl(`postgresql://a:b@h/db?sslkey=${KEY}`)).toBe('postgresql://a:***@h/db');
  });
});

describe('Redis topology: one server, a cluster, or Sentinels', () => {
  it('REDIS_URL alone is one server; REDIS_CLUSTER_NODES a cluster; REDIS_SENTINELS a named primary', () => {
    expect(redisTopology(parseConfig({}))).toEqual({
      kind: 'single',
      url: 'redis://:orders@127.0.0.1:6379',
    });
    expect(
      redisTopology(parseConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:6379, 10.0.0.2:6380' })),
    ).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 6379 },
        { host: '10.0.0.2', port: 6380 },
      ],
    });
    const sentinel = parseConfig({
      REDIS_SENTINELS: 's1:26379,s2:26379',
      REDIS_SENTINEL_NAME: 'orders',
      REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
    });
    expect(redisTopology(sentinel)).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      name: 'orders',
      sentinelPassword: 'sentinel-secret',
    });
  });

  it("a cluster's nodes take the user, password and TLS of REDIS_URL, never its address", () => {
    const c = parseConfig({
      REDIS_URL: 'rediss://app%40ops:p%3Ass@ignored.example:6379',
      REDIS_TLS_CA_PATH: CA,
      REDIS_CLUSTER_NODES: '10.0.0.1:6379',
    });
    expect(redisNodeOptions(c)).toEqual({
      username: 'app@ops',
      password: 'p:ss',
      tls: redisTlsOptions(c).tls,
    });
    expect(redisTlsOptions(c).tls?.ca).toBeTruthy();
    expect(redisNodeOptions(parseConfig({}))).toEqual({ password: 'orders' });
  });

  it('refuses what a cluster cannot be: a database number, both kinds, a malformed list, a hash tag in the prefix', () => {
    expect(
      refusal({ REDIS_CLUSTER_NODES: '10.0.0.1:6379', REDIS_URL: 'redis://:x@h:6379/1' }),
    ).toMatch(/REDIS_URL: a database number other than 0 with REDIS_CLUSTER_NODES/);
    expect(refusal({ REDIS_CLUSTER_NODES: 'a:1', REDIS_SENTINELS: 'b:2' })).toMatch(
      /a cluster or Sentinels, not both/,
    );
    expect(refusal({ REDIS_CLUSTER_NODES: '10.0.0.1' })).toMatch(
      /REDIS_CLUSTER_NODES: must be host:port pairs separated by commas/,
    );
    expect(refusal({ REDIS_KEY_PREFIX: 'app{1}:' })).toMatch(
      /REDIS_KEY_PREFIX: must not contain \{ or \}/,
    );
    expect(
      parseConfig({ REDIS_CLUSTER_NODES: 'h:1', REDIS_URL: 'redis://:x@h:6379/0' }),
    ).toBeTruthy();
  });
});

describe('Elasticsearch replicas', () => {
  it('takes a number or a range, refuses anything else; unset leaves the default to the indices', () => {
    expect(parseConfig({}).ELASTICSEARCH_REPLICAS).toBeUndefined();
    for (const ok of ['0', '2', '0-1', '1-all']) {
      expect(parseConfig({ ELASTICSEARCH_REPLICAS: ok }).ELASTICSEARCH_REPLICAS).toBe(ok);
    }
    for (const bad of ['-1', 'one', '0-', '1-2-3', 'all']) {
      expect(refusal({ ELASTICSEARCH_REPLICAS: bad })).toMatch(
        /ELASTICSEARCH_REPLICAS: must be a number such as 1, or a range such as 0-1 or 1-all/,
      );
    }
  });
});
