import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthReport } from '../api/health';
import { createWorkers, type RunningWorkers } from '../temporal/worker';
import { startTestApp, type TestApp, TOKENS } from './support/app';
import { waitFor } from './support/wait';

// The API with the command workers only: nothing projects, so the read models fall behind.
let app: TestApp;
let projections: RunningWorkers | undefined;
beforeAll(async () => {
  app = await startTestApp(['commands'], { healthMaxLagSeconds: 1 });
});
afterAll(async () => {
  await projections?.shutdown();
  await app?.stop();
});

async function get(path: string, token?: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${app.url}${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: res.status, body: await res.json() };
}

describe('/healthz with projection lag, /readyz and /livez', () => {
  it('lagging read models: /healthz 503 naming them (to admins), /readyz and /livez 200; healthy again once projected', async () => {
    await app.client('writer').orders.place.mutate({
      customerId: 'c-lag',
      region: 'eu',
      currency: 'EUR',
      items: [{ productId: 'sku-lag', quantity: 1, unitPriceMinor: 100 }],
    });
    const report = await waitFor('/healthz to report the lag', async () => {
      const { status, body } = await get('/healthz', TOKENS.admin);
      return status === 503 ? (body as HealthReport) : undefined;
    });
    expect(report.status).toBe('degraded');
    expect(Object.values(report.dependencies).every((d) => d.ok)).toBe(true);
    expect(report.projections?.ok).toBe(false);
    const problems = (report.projections?.problems ?? []).filter((p) => p.includes(' lags '));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(
      /^elasticsearch lags \d+ s \(\d+ events\) behind the event store, more than 1 s$/,
    );
    expect(problems[1]).toMatch(/^redis lags /);
    for (const model of report.projections?.readModels ?? []) {
      expect(model.lagEvents).toBeGreaterThanOrEqual(1);
      expect(model.lagSeconds).toBeGreaterThan(1);
    }
    // Anonymous callers learn up or down, not why.
    expect(await get('/healthz')).toEqual({ status: 503, body: { status: 'degraded' } });
    // This instance can still serve: a load balancer keeps it.
    expect(await get('/readyz')).toEqual({ status: 200, body: { status: 'ok' } });
    const ready = await get('/readyz', TOKENS.admin);
    expect(ready.status).toBe(200);
    expect(ready.body).not.toHaveProperty('projections');
    expect(await get('/livez')).toEqual({ status: 200, body: { status: 'ok' } });

    // The projectors start and catch up: healthy again.
    projections = await createWorkers(['projections'], app.connections);
    void projections.run();
    const healthy = await waitFor('/healthz healthy after catching up', async () => {
      const { status, body } = await get('/healthz', TOKENS.admin);
      return status === 200 ? (body as HealthReport) : undefined;
    });
    expect(healthy.projections).toMatchObject({ ok: true, problems: [] });
    expect(healthy.projections?.readModels.map((m) => m.lagEvents)).toEqual([0, 0]);
  });
});
