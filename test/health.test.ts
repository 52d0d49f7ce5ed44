import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthCheck, PROBE_TIMEOUT_MS, REPORT_CACHE_MS } from '../api/health';
import { config } from '../config/env';
import { createPool } from '../eventstore';
import { type Connections, openConnections } from '../temporal/connections';
import { waitFor } from './support/wait';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let connections: Connections;
beforeAll(async () => {
  connections = await openConnections('api');
  // Redis connects in the background (commands fail fast rather than queue meanwhile).
  await waitFor('redis connected', async () =>
    connections.redis.status === 'ready' ? true : undefined,
  );
});
afterAll(async () => {
  await connections?.close();
});

describe('the health check', () => {
  it('all four servers up: ok, and callers within the cache window share one report', async () => {
    const health = new HealthCheck(connections);
    const [a, b] = await Promise.all([health.report(), health.report()]);
    expect(a.status, JSON.stringify(a)).toBe('ok');
    expect(b).toBe(a);
    expect(await health.report()).toBe(a);
    await sleep(REPORT_CACHE_MS + 50);
    const fresh = await health.report();
    expect(fresh).not.toBe(a);
    expect(fresh.status).toBe('ok');
  });

  it('a PostgreSQL pool with no free connection: degraded within the probe timeout, one `select 1` waiting however often asked', async () => {
    // A pool whose only connection is taken: its next query waits (up to 30 s here), as
    // every query waits on a pool filled by a hung server.
    const pool = createPool(config().DATABASE_URL, 1, { connectTimeoutMs: 30_000 });
    const held = await pool.connect();
    try {
      const health = new HealthCheck({ ...connections, pool });
      for (let round = 0; round < 3; round++) {
        const started = Date.now();
        const reports = await Promise.all(Array.from({ length: 5 }, () => health.report()));
        expect(Date.now() - started).toBeLessThan(PROBE_TIMEOUT_MS + 1_000);
        for (const r of reports) expect(r).toBe(reports[0]);
        const report = reports[0];
        expect(report?.status).toBe('degraded');
        expect(report?.dependencies.postgres).toMatchObject({ ok: false });
        expect(report?.dependencies.redis.ok).toBe(true);
        expect(report?.dependencies.elasticsearch.ok).toBe(true);
        expect(report?.dependencies.temporal.ok).toBe(true);
        // Each round is a new report, and still only the first round's query waits.
        expect(pool.waitingCount).toBe(1);
        await sleep(REPORT_CACHE_MS + 50);
      }
      held.release();
      // The waiting `select 1` gets the connection: PostgreSQL is reported up again.
      const recovered = await health.report();
      expect(recovered.dependencies.postgres.ok).toBe(true);
    } finally {
      await pool.end();
    }
  });
});
