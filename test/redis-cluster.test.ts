import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// The app in this file runs on the cluster with only the environment changed; config() is
// read once per process, so the cluster's ports are chosen (and set) before anything reads it.
const { base, nodes } = await vi.hoisted(async () => {
  const { freePortRun } = await import('./support/free-ports');
  const first = await freePortRun(6);
  const list = Array.from({ length: 6 }, (_, i) => `127.0.0.1:${first + i}`).join(',');
  process.env.REDIS_CLUSTER_NODES = list;
  // Only the password is read from it with a cluster; no server is there.
  process.env.REDIS_URL = 'redis://:orders@127.0.0.1:1';
  return { base: first, nodes: list };
});

import { config } from '../config/env';
import {
  clearOrderSummaries,
  clearReportCache,
  connectRedis,
  invalidateReports,
  monthlyReportKey,
  primariesOf,
  type RedisClient,
  readCachedReport,
  readOrderSummary,
  reportGenerationKey,
  writeCachedReport,
  writeOrderSummaries,
} from '../projections/redis';
import { startTestApp, type TestApp } from './support/app';
import { orderDoc } from './support/es-test-documents';
import { failOverPrimary } from './support/redis-failover';
import { waitFor } from './support/wait';

// The read side on a Redis Cluster of three primaries with a replica each, started by the
// stack's opt-in `redis-cluster` service on ports and a data dir of this file's own; and the
// app on it with only the environment changed.

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const PASSWORD = 'orders'; // the stack's
const PREFIX = 'cluster-test:';

let dataDir: string;
let stackEnv: NodeJS.ProcessEnv;
let cluster: RedisClient;
let app: TestApp | undefined;

const stack = (action: 'up' | 'down') =>
  run('bash', [path.join(root, 'scripts/stack.sh'), action, 'redis-cluster'], {
    env: stackEnv,
    cwd: root,
  });

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'redis-cluster-test-'));
  stackEnv = { ...process.env, STACK_DATA_DIR: dataDir, STACK_REDIS_CLUSTER_PORT: String(base) };
  await stack('up');
  cluster = connectRedis(
    { kind: 'cluster', nodes: [{ host: '127.0.0.1', port: base }] },
    { password: PASSWORD },
  );
}, 120_000);

afterAll(async () => {
  await app?.stop();
  cluster?.disconnect();
  if (stackEnv) await stack('down');
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const slot = { month: '2025-06', currency: 'EUR', region: null, view: 'restated' as const };

describe('the read side on a Redis Cluster', () => {
  it("a slot's generation and its cached reports share a hash slot: the cache's script and MGET run", async () => {
    const keySlot = (key: string) => cluster.cluster('KEYSLOT', key) as Promise<number>;
    const genSlot = await keySlot(reportGenerationKey(PREFIX, slot.month, slot.currency));
    for (const view of ['restated', 'booked'] as const) {
      for (const region of [null, 'eu']) {
        const key = monthlyReportKey(PREFIX, slot.month, slot.currency, region, view);
        expect(await keySlot(key), key).toBe(genSlot);
      }
    }
    const first = await readCachedReport<{ total: number }>(cluster, PREFIX, slot);
    expect(first.report).toBeNull();
    expect(await writeCachedReport(cluster, PREFIX, slot, first.generation, { total: 5 })).toBe(
      'written',
    );
    expect((await readCachedReport(cluster, PREFIX, slot)).report).toEqual({ total: 5 });
    await invalidateReports(cluster, PREFIX, slot.month, slot.currency);
    expect((await readCachedReport(cluster, PREFIX, slot)).report).toBeNull();
    // A reader that computed under the old generation does not store its report.
    expect(await writeCachedReport(cluster, PREFIX, slot, first.generation, { total: 6 })).toBe(
      'outdated',
    );
  });

  it('order copies spread over every primary are written, compared on version, and cleared on all of them', async () => {
    const docs = Array.from({ length: 60 }, (_, i) =>
      orderDoc({
        orderId: `o-cluster-${i}`,
        items: [{ productId: 'p-1', quantity: 1, unitPriceMinor: 100 }],
      }),
    );
    expect(await writeOrderSummaries(cluster, PREFIX, docs)).toEqual({ written: 60, stale: 0 });
    expect(await writeOrderSummaries(cluster, PREFIX, docs)).toEqual({ written: 0, stale: 60 });
    expect((await readOrderSummary(cluster, PREFIX, 'o-cluster-7'))?.orderId).toBe('o-cluster-7');
    const primaries = primariesOf(cluster);
    expect(primaries).toHaveLength(3);
    const perPrimary = await Promise.all(
      primaries.map(async (p) => (await p.keys(`${PREFIX}order:*`)).length),
    );
    expect(perPrimary.filter((n) => n > 0).length).toBeGreaterThan(1);

    expect(await clearOrderSummaries(cluster, PREFIX)).toBe(60);
    expect(await readOrderSummary(cluster, PREFIX, 'o-cluster-7')).toBeNull();
    const before = await readCachedReport(cluster, PREFIX, slot);
    await writeCachedReport(cluster, PREFIX, slot, before.generation, { total: 7 });
    expect(await clearReportCache(cluster, PREFIX)).toBe(1);
    const after = await readCachedReport(cluster, PREFIX, slot);
    expect(after.report).toBeNull();
    expect(after.generation).toBeGreaterThan(before.generation);
  });

  it('the app runs on the cluster with only the environment changed: commands, reads from Redis, the report cache, a rebuild', async () => {
    expect(config().REDIS_CLUSTER_NODES).toBe(nodes);
    app = await startTestApp();
    const prefix = config().REDIS_KEY_PREFIX;
    const admin = app.client('admin');
    const { orderId } = await admin.orders.place.mutate({
      customerId: 'c-cluster',
      region: 'eu',
      currency: 'CHF',
      items: [{ productId: 'p-cluster', quantity: 3, unitPriceMinor: 250 }],
      at: '2024-03-04T10:00:00Z',
    });
    const completed = await admin.orders.complete.mutate({ orderId, at: '2024-03-05T10:00:00Z' });
    await waitFor('the order copied to the cluster', async () =>
      (await readOrderSummary(cluster, prefix, orderId))?.version === completed.version
        ? true
        : undefined,
    );
    const reader = app.client('reader');
    expect((await reader.orders.get.query({ orderId })).status).toBe('completed');
    const query = { month: '2024-03', currency: 'CHF', minPosition: completed.position };
    const report = await waitFor('the report with the order', async () => {
      const r = await reader.reports.monthly.query(query);
      return r.totals.totalSalesMinor === 750 && !r.stale ? r : undefined;
    });
    expect(report.totals.orderCount).toBe(1);
    const cacheSlot = {
      month: '2024-03',
      currency: 'CHF',
      region: null,
      view: 'restated' as const,
    };
    expect((await readCachedReport(cluster, prefix, cacheSlot)).report).not.toBeNull();

    // A rebuild of the Redis read model empties it on every primary (reads fall back to
    // Elasticsearch until projections copy orders again).
    const ghosts = Array.from({ length: 12 }, (_, i) =>
      orderDoc({
        orderId: `o-ghost-${i}`,
        items: [{ productId: 'p', quantity: 1, unitPriceMinor: 1 }],
      }),
    );
    await writeOrderSummaries(cluster, prefix, ghosts);
    const started = await admin.admin.projections.rebuild.mutate({ readModel: 'redis' });
    expect(started.alreadyRunning).toBe(false);
    await waitFor(
      'the redis rebuild done',
      async () => {
        const p = await admin.admin.projections.rebuildProgress.query({ readModel: 'redis' });
        return p.progress?.phase === 'done' ? p.progress : undefined;
      },
      120_000,
      250,
    );
    for (const ghost of ghosts) {
      expect(await readOrderSummary(cluster, prefix, ghost.orderId), ghost.orderId).toBeNull();
    }
    expect(await readOrderSummary(cluster, prefix, orderId)).toBeNull();
    expect((await reader.orders.get.query({ orderId })).status).toBe('completed');
    const health = await fetch(`${app.url}/readyz`);
    expect(health.status).toBe(200);
  });

  it("a primary lost: its replica takes over, and the app's client writes to the lost primary's slots again within seconds", async () => {
    app ??= await startTestApp();
    // The app's own client (the workers' and the API's), not this file's.
    const redis = app.connections.redis;
    const prefix = config().REDIS_KEY_PREFIX;
    const docs = (version: number) =>
      Array.from({ length: 60 }, (_, i) => ({
        ...orderDoc({
          orderId: `o-failover-${i}`,
          items: [{ productId: 'p-1', quantity: 1, unitPriceMinor: 100 }],
        }),
        version,
      }));
    // Spread over every primary: the client knows them all before one is lost.
    expect(await writeOrderSummaries(redis, prefix, docs(1))).toEqual({ written: 60, stale: 0 });
    const failover = await failOverPrimary({
      ports: Array.from({ length: 6 }, (_, i) => base + i),
      password: PASSWORD,
      runDir: path.join(dataDir, 'run'),
    });
    expect(failover.promotedPort).not.toBe(failover.killedPort);
    // As a projector does: retried until every copy is written (a write already done
    // answers stale on the next round).
    let lastError = '';
    await waitFor(
      'every order copy at version 2 after the failover',
      async () => {
        await writeOrderSummaries(redis, prefix, docs(2)).catch((err: Error) => {
          lastError = err.message;
        });
        const read = await Promise.all(
          docs(2).map((d) => readOrderSummary(redis, prefix, d.orderId)),
        );
        return read.every((r) => r?.version === 2) ? true : undefined;
      },
      20_000,
      500,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last write error: ${lastError}`);
    });
  });
});
