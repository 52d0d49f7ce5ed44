import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_RANGE_MONTHS } from '../api/query-inputs';
import { waitForPosition } from '../api/read-your-writes';
import { startTestApp, type TestApp, TOKENS } from './support/app';

// What one caller can multiply: calls per batched request, months per range query, calls
// in flight per token, and waits whose caller has gone.

const MAX_BATCH = 5;
// Each call of a batch counts in flight: a whole batch fits under this.
const MAX_INFLIGHT = MAX_BATCH + 1;
/** A position no projector reaches during the test: the query waits its full 2 s. */
const FAR_POSITION = 9_000_000_000_000;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp(['projections'], {
    maxBatchSize: MAX_BATCH,
    maxInflightPerToken: MAX_INFLIGHT,
  });
});
afterAll(async () => {
  await app?.stop();
});

const topProducts = { from: '2024-01', to: '2024-03', currency: 'EUR' };

/** One GET carrying `n` calls of reports.topProducts, as tRPC's batch link sends them. */
function batchOf(n: number, token = TOKENS.reader): Promise<Response> {
  const paths = Array.from({ length: n }, () => 'reports.topProducts').join(',');
  const input = Object.fromEntries(Array.from({ length: n }, (_, i) => [i, topProducts]));
  return app.fetch(
    `${app.url}/trpc/${paths}?batch=1&input=${encodeURIComponent(JSON.stringify(input))}`,
    { headers: { authorization: `Bearer ${token}` } },
  );
}

function slowRead(token: string): Promise<Response> {
  const input = { month: '2024-01', currency: 'EUR', minPosition: FAR_POSITION };
  return app.fetch(
    `${app.url}/trpc/reports.monthly?input=${encodeURIComponent(JSON.stringify(input))}`,
    { headers: { authorization: `Bearer ${token}` } },
  );
}

describe('limits on what one caller can multiply', () => {
  it(`a batched request carries at most ${MAX_BATCH} calls: one more is 400 and runs none`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3 * MAX_BATCH }), async (n) => {
        const res = await batchOf(n);
        const body = (await res.json()) as unknown;
        if (n <= MAX_BATCH) {
          expect(res.status).toBe(200);
          expect(body).toHaveLength(n);
        } else {
          expect(res.status).toBe(400);
          expect(JSON.stringify(body)).toMatch(new RegExp(`${MAX_BATCH}`));
        }
      }),
      { numRuns: 15 },
    );
  });

  it(`reports.topProducts covers at most ${MAX_RANGE_MONTHS} months`, async () => {
    const reader = app.client('reader');
    const widest = await reader.reports.topProducts.query({
      from: '2022-01',
      to: '2024-12',
      currency: 'EUR',
    });
    expect(widest.products).toBeInstanceOf(Array);
    const err = await reader.reports.topProducts
      .query({ from: '0001-01', to: '9999-12', currency: 'EUR' })
      .catch((e: Error & { data?: { code?: string; issues?: { path: string }[] } }) => e);
    expect(err).toMatchObject({ data: { code: 'BAD_REQUEST' } });
    expect((err as Error).message).toMatch(`at most ${MAX_RANGE_MONTHS} months`);
  });

  it(`a token with ${MAX_INFLIGHT} calls in flight gets 429 with Retry-After; other tokens do not`, async () => {
    const reader = Array.from({ length: MAX_INFLIGHT + 2 }, () => slowRead(TOKENS.reader));
    // Every reader call is in flight (waiting for the far position) when the admin asks.
    await new Promise((r) => setTimeout(r, 500));
    const admin = await slowRead(TOKENS.admin);
    expect(admin.status).toBe(200);
    const answers = await Promise.all(reader);
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(MAX_INFLIGHT).fill(200), ...Array(2).fill(429)]);
    const refused = answers.find((r) => r.status === 429);
    expect(refused?.headers.get('retry-after')).toBe('1');
    expect(await refused?.text()).toMatch(/calls in flight; retry after 1 s/);
    // The places are given back: the token is served again.
    expect((await batchOf(1)).status).toBe(200);
  });

  it('the REST routes count in the same places: a token full on /trpc is refused 429 on /api', async () => {
    const rest = () =>
      app.fetch(
        `${app.url}/api/reports/monthly?month=2024-01&currency=EUR&minPosition=${FAR_POSITION}`,
        { headers: { authorization: `Bearer ${TOKENS.reader}` } },
      );
    const reader = Array.from({ length: MAX_INFLIGHT }, () => slowRead(TOKENS.reader));
    await new Promise((r) => setTimeout(r, 500));
    const refused = await rest();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({
      error: { data: { code: 'TOO_MANY_REQUESTS', httpStatus: 429, path: 'reports.monthly' } },
    });
    expect((await Promise.all(reader)).map((r) => r.status)).toEqual(Array(MAX_INFLIGHT).fill(200));
    const served = await rest();
    expect(served.status).toBe(200);
    expect(await served.json()).toMatchObject({ month: '2024-01', stale: true });
  });

  it('a read-your-writes wait stops when its caller hangs up', async () => {
    const hangUp = new AbortController();
    setTimeout(() => hangUp.abort(), 100);
    const started = performance.now();
    expect(
      await waitForPosition(app.connections.pool, 'elasticsearch', FAR_POSITION, hangUp.signal),
    ).toBe(false);
    // Well before the 2 s it waits for a caller still there.
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
