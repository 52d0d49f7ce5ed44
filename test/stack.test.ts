import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client as EsClient } from '@elastic/elasticsearch';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { Redis } from 'ioredis';
import pg from 'pg';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { config } from '../config/env';
import { ALL_SEARCH_ATTRIBUTES } from '../contracts/search-attributes';
import { createTemporalClient } from '../temporal/client';
import { temporalConnectionOptions } from '../temporal/connection-options';

const run = promisify(execFile);
const { IndexedValueType } = temporal.api.enums.v1;
const root = fileURLToPath(new URL('..', import.meta.url));

describe('local stack round trips', () => {
  it('PostgreSQL: inserts and selects a row', async () => {
    const client = new pg.Client({ connectionString: config().DATABASE_URL });
    await client.connect();
    try {
      await client.query('create temp table probe (id uuid primary key, n bigint not null)');
      const id = randomUUID();
      await client.query('insert into probe (id, n) values ($1, $2)', [id, '9007199254740993']);
      const { rows } = await client.query('select n from probe where id = $1', [id]);
      expect(rows).toEqual([{ n: '9007199254740993' }]);
    } finally {
      await client.end();
    }
  });

  it('Redis: SET with expiry, GET, and the key expires', async () => {
    const redis = new Redis(config().REDIS_URL);
    try {
      const key = `probe:${randomUUID()}`;
      expect(await redis.set(key, 'hello', 'PX', 300)).toBe('OK');
      expect(await redis.get(key)).toBe('hello');
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(300);
      await new Promise((r) => setTimeout(r, 400));
      expect(await redis.get(key)).toBeNull();
    } finally {
      redis.disconnect();
    }
  });

  it('Redis refuses commands without the password, and with a wrong one', async () => {
    const { hostname, port, password } = new URL(config().REDIS_URL);
    expect(password, 'REDIS_URL carries the password').not.toBe('');
    // No ready check (an INFO, refused too) and no retries: the refusal itself is the answer.
    const options = {
      host: hostname,
      port: Number(port),
      lazyConnect: true,
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    };
    const anonymous = new Redis(options);
    anonymous.on('error', () => undefined);
    try {
      await anonymous.connect();
      await expect(anonymous.get('probe')).rejects.toThrow(/NOAUTH/);
    } finally {
      anonymous.disconnect();
    }
    const wrong = new Redis({ ...options, password: `${password}-wrong` });
    const errors: string[] = [];
    wrong.on('error', (err: Error) => errors.push(err.message));
    try {
      await expect(wrong.connect().then(() => wrong.get('probe'))).rejects.toThrow();
      expect(errors.join('\n')).toMatch(/WRONGPASS/);
    } finally {
      wrong.disconnect();
    }
  });

  it('PostgreSQL refuses a wrong password over TCP, and the logged error carries no password', async () => {
    const url = new URL(config().DATABASE_URL);
    url.password = 'wrong-pw-s3cret';
    const client = new pg.Client({ connectionString: url.toString() });
    const error: unknown = await client.connect().then(
      () => null,
      (err: unknown) => err,
    );
    await client.end().catch(() => undefined);
    expect((error as { code?: string } | null)?.code).toBe('28P01'); // invalid_password
    const lines: string[] = [];
    pino({}, { write: (line: string) => lines.push(line) }).error({ err: error }, 'connect failed');
    expect(lines.join('')).toMatch(/password authentication failed/);
    expect(lines.join('')).not.toMatch(/s3cret/);
  });

  it('Elasticsearch 8: creates an index with a mapping, indexes and searches', async () => {
    const es = new EsClient({ node: config().ELASTICSEARCH_URL });
    const index = `${config().ES_INDEX_PREFIX}probe-${randomUUID()}`;
    try {
      const info = await es.nodes.info({ node_id: '_local', filter_path: 'nodes.*.version' });
      const version = Object.values(info.nodes ?? {})[0]?.version ?? '';
      expect(version).toMatch(/^8\./);
      await es.indices.create({
        index,
        mappings: {
          dynamic: 'strict',
          properties: { sku: { type: 'keyword' }, amountMinor: { type: 'long' } },
        },
      });
      const mapping = await es.indices.getMapping({ index });
      expect(mapping[index]?.mappings.properties?.amountMinor).toEqual({ type: 'long' });
      await es.index({
        index,
        id: 'a',
        document: { sku: 'SKU-1', amountMinor: 1999 },
        refresh: true,
      });
      const res = await es.search<{ sku: string; amountMinor: number }>({
        index,
        query: { term: { sku: 'SKU-1' } },
      });
      expect(res.hits.hits.map((h) => h._source)).toEqual([{ sku: 'SKU-1', amountMinor: 1999 }]);
      await expect(
        es.index({ index, id: 'b', document: { sku: 'x', unknownField: 1 } }),
      ).rejects.toThrow(/strict_dynamic_mapping_exception/);
    } finally {
      await es.indices.delete({ index }, { ignore: [404] });
      await es.close();
    }
  });

  it('Temporal: runs a bundled one-activity workflow on a real worker', async () => {
    const taskQueue = `stack-probe-${randomUUID()}`;
    const workflowBundle = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('./fixtures/ping-workflow.ts', import.meta.url)),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    });
    const connection = await NativeConnection.connect(temporalConnectionOptions(config()));
    const worker = await Worker.create({
      connection,
      namespace: config().TEMPORAL_NAMESPACE,
      taskQueue,
      workflowBundle,
      activities: { greet: async (name: string) => `hello, ${name}` },
    });
    const client = await createTemporalClient();
    try {
      const result = await worker.runUntil(
        client.workflow.execute('pingWorkflow', {
          taskQueue,
          workflowId: `stack-probe-${randomUUID()}`,
          args: ['stack'],
        }),
      );
      expect(result).toBe('hello, stack');
    } finally {
      await client.connection.close();
      await connection.close();
    }
  });

  it('Temporal: every search attribute the workers use is registered with its type', async () => {
    const client = await createTemporalClient();
    try {
      const { customAttributes } = await client.connection.operatorService.listSearchAttributes({
        namespace: config().TEMPORAL_NAMESPACE,
      });
      const registered = Object.fromEntries(
        Object.entries(customAttributes ?? {}).map(([name, type]) => [
          name,
          IndexedValueType[type],
        ]),
      );
      for (const key of ALL_SEARCH_ATTRIBUTES) {
        expect(registered[key.name], key.name).toBe(`INDEXED_VALUE_TYPE_${key.type}`);
      }
    } finally {
      await client.connection.close();
    }
  });

  it('`npm run stack -- status` reports the four services up', async () => {
    const { stdout } = await run('bash', ['scripts/stack.sh', 'status'], { cwd: root });
    const lines = stdout.trim().split('\n');
    expect(lines.map((l) => l.split(/\s+/).slice(0, 2))).toEqual([
      ['postgres', 'up'],
      ['redis', 'up'],
      ['elasticsearch', 'up'],
      ['temporal', 'up'],
    ]);
    expect(stdout).toMatch(/elasticsearch\s+up\s+\S+\s+8\.\d+\.\d+/);
  });
});
