import { execFileSync } from 'node:child_process';
import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_RANGE_MONTHS } from '../api/query-inputs';
import { startTestApp, type TestApp } from './support/app';
import { type CompletedOrder, completeOrderIn } from './support/completed-orders';

// The API the web workspace needs, against the real stack: whoami, per-month totals over a
// range, drill-down by report month, the operators' procedures, and the built app at `/`.
let app: TestApp;
let march: CompletedOrder[];
let april: CompletedOrder[];
let last: number;
beforeAll(async () => {
  execFileSync('bash', ['scripts/build-web.sh'], { stdio: 'inherit' });
  app = await startTestApp();
  const admin = app.client('admin');
  march = [
    await completeOrderIn(admin, '2017-03', {
      productId: 'p-a',
      quantity: 2,
      unitPriceMinor: 1250,
    }),
    await completeOrderIn(admin, '2017-03', { productId: 'p-b', quantity: 1, unitPriceMinor: 700 }),
  ];
  april = [
    await completeOrderIn(admin, '2017-04', {
      productId: 'p-a',
      quantity: 1,
      unitPriceMinor: 1250,
    }),
  ];
  last = april[0]?.position ?? 0;
});
afterAll(async () => {
  await app?.stop();
});

async function codeOf(call: Promise<unknown>): Promise<string | undefined> {
  try {
    await call;
    return undefined;
  } catch (err) {
    if (!(err instanceof TRPCClientError)) throw err;
    return (err.data as { code?: string } | undefined)?.code;
  }
}

describe('session.whoami', () => {
  it('names the role of the token, and refuses an unknown token with 401', async () => {
    expect(await app.client('reader').session.whoami.query()).toEqual({ role: 'reader' });
    expect(await app.client('admin').session.whoami.query()).toEqual({ role: 'admin' });
    const res = await app.fetch(`${app.url}/trpc/session.whoami`, {
      headers: { authorization: 'Bearer not-a-token-at-all' },
    });
    expect(res.status).toBe(401);
  });
});

describe('reports.monthlySeries', () => {
  it("answers each month's totals as reports.monthly does, empty months included", async () => {
    const reader = app.client('reader');
    const series = await reader.reports.monthlySeries.query({
      from: '2017-02',
      to: '2017-05',
      currency: 'EUR',
      minPosition: last,
    });
    expect(series.stale).toBe(false);
    expect(series.months.map((m) => m.month)).toEqual(['2017-02', '2017-03', '2017-04', '2017-05']);
    expect(series.months.map((m) => m.totals.totalSalesMinor)).toEqual([0, 3200, 1250, 0]);
    for (const m of series.months) {
      const report = await reader.reports.monthly.query({ month: m.month, currency: 'EUR' });
      expect(m.totals).toEqual(report.totals);
      expect(m.source).toBe(report.source);
    }
    const eu = await reader.reports.monthlySeries.query({
      from: '2017-03',
      to: '2017-03',
      currency: 'EUR',
      region: 'us',
    });
    expect(eu.months[0]?.totals.totalSalesMinor).toBe(0);
  });

  it(`refuses a range over ${MAX_RANGE_MONTHS} months or backwards with 400`, async () => {
    const reader = app.client('reader');
    expect(
      await codeOf(
        reader.reports.monthlySeries.query({ from: '2021-01', to: '2024-01', currency: 'EUR' }),
      ),
    ).toBe('BAD_REQUEST');
    expect(
      await codeOf(
        reader.reports.monthlySeries.query({ from: '2017-05', to: '2017-04', currency: 'EUR' }),
      ),
    ).toBe('BAD_REQUEST');
    // A malformed end used to be enumerated month by month without end (out of memory).
    const malformed = { from: '0000-01', to: 'x', currency: 'EUR' } as unknown as {
      from: string;
      to: string;
      currency: string;
    };
    expect(await codeOf(reader.reports.monthlySeries.query(malformed))).toBe('BAD_REQUEST');
    expect(await codeOf(reader.reports.topProducts.query(malformed))).toBe('BAD_REQUEST');
    const widest = await reader.reports.monthlySeries.query({
      from: '2021-01',
      to: '2023-12',
      currency: 'EUR',
    });
    expect(widest.months).toHaveLength(MAX_RANGE_MONTHS);
  });
});

describe('orders.search by report month', () => {
  it('finds the orders behind a product row of a month, and only those', async () => {
    const reader = app.client('reader');
    const page = await reader.orders.search.query({
      reportMonth: '2017-03',
      productId: 'p-a',
      status: 'completed',
      minPosition: last,
    });
    expect(page.items.map((o) => o.orderId)).toEqual([march[0]?.orderId]);
    const april_ = await reader.orders.search.query({ reportMonth: '2017-04' });
    expect(april_.items.map((o) => o.orderId)).toEqual([april[0]?.orderId]);
    expect(await codeOf(reader.orders.search.query({ reportMonth: '2024-13' }))).toBe(
      'BAD_REQUEST',
    );
  });
});

describe('operator procedures', () => {
  it('are refused to a reader (403) and answer an admin', async () => {
    const reader = app.client('reader');
    expect(await codeOf(reader.admin.parked.list.query())).toBe('FORBIDDEN');
    expect(
      await codeOf(
        reader.admin.parked.retry.mutate({ readModel: 'elasticsearch', orderId: 'o-x' }),
      ),
    ).toBe('FORBIDDEN');
    expect(await codeOf(reader.admin.reconcile.mutate({ month: '2017-03' }))).toBe('FORBIDDEN');
    const admin = app.client('admin');
    expect((await admin.admin.parked.list.query()).parked).toEqual([]);
    expect(
      await codeOf(admin.admin.parked.skip.mutate({ readModel: 'redis', orderId: 'o-nowhere' })),
    ).toBe('NOT_FOUND');
    const reconciled = await admin.admin.reconcile.mutate({ month: '2017-03' });
    expect(reconciled.differences).toEqual([]);
    expect(reconciled.slots).toBeGreaterThan(0);
    const ui = await admin.admin.temporalUi.query();
    expect(ui.url).toMatch(/^https?:\/\//);
    expect(ui.workflows.projectors.map((p) => p.readModel)).toEqual(['elasticsearch', 'redis']);
  });
});

describe('the web workspace at /', () => {
  it('is served from the build, with its assets, and nothing outside it', async () => {
    const index = await fetch(`${app.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await index.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const js = await fetch(`${app.url}${script}`);
    expect(js.status).toBe(200);
    // Either name of JavaScript's media type (the HTML standard accepts both).
    expect(js.headers.get('content-type')).toMatch(/^(text|application)\/javascript/);
    // Paths that try to leave web/dist are sent as raw bytes in test/api-fuzz-raw.test.ts:
    // fetch would normalise them into harmless ones before they left this process.
    expect((await fetch(`${app.url}/nope`)).status).toBe(404);
  });
});
