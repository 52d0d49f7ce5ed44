import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app';
import { tamperOrderDocument } from './support/es-test-documents';
import { sampleValue, scrape, serveMetrics } from './support/prometheus-text';
import { fresh, waitFor } from './support/wait';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

// A month with differences and a clean one: the file's own database has only its orders.
const WITH_DIFFERENCES = '1987-04';
const CLEAN = '1987-05';

let app: TestApp;
let metrics: { url: string; close(): Promise<void> };
beforeAll(async () => {
  app = await startTestApp();
  metrics = await serveMetrics();
});
afterAll(async () => {
  await metrics?.close();
  await app?.stop();
});

/** An order completed in WITH_DIFFERENCES, then its read-model document made wrong. */
async function wrongOrder(region: string): Promise<void> {
  const admin = app.client('admin');
  const placed = await admin.orders.place.mutate({
    customerId: 'c-reconcile-metrics',
    region,
    currency: 'EUR',
    items: [{ productId: 'p-reconcile', quantity: 1, unitPriceMinor: 500 }],
    at: `${WITH_DIFFERENCES}-10T10:00:00Z`,
  });
  const completed = await admin.orders.complete.mutate({
    orderId: placed.orderId,
    at: `${WITH_DIFFERENCES}-11T10:00:00Z`,
  });
  await waitFor('the completed order projected', async () =>
    fresh(
      await app
        .client('reader')
        .orders.get.query({ orderId: placed.orderId, minVersion: completed.version }),
    ),
  );
  await tamperOrderDocument(app.connections.es, placed.orderId, completed.version);
}

/** The gauge of `month` once the scraped value is `expected` (it is read at scrape time). */
async function lastDifferences(month: string, expected: number): Promise<number | undefined> {
  let seen: number | undefined;
  await waitFor(
    `orders_reconciliation_last_differences{month="${month}"} = ${expected}`,
    async () => {
      seen = sampleValue(await scrape(metrics.url), 'orders_reconciliation_last_differences', {
        month,
      });
      return seen === expected ? true : undefined;
    },
    10_000,
  ).catch(() => undefined);
  return seen;
}

describe('orders_reconciliation_last_differences', () => {
  it('is per month, set by every path (API, npm run reconcile), and a clean month never clears another', async () => {
    await wrongOrder('eu');
    const admin = app.client('admin');
    const first = await admin.admin.reconcile.mutate({ month: WITH_DIFFERENCES });
    expect(first.differences.length).toBeGreaterThan(0);
    expect(await lastDifferences(WITH_DIFFERENCES, first.differences.length)).toBe(
      first.differences.length,
    );

    const clean = await admin.admin.reconcile.mutate({ month: CLEAN });
    expect(clean.differences).toEqual([]);
    expect(await lastDifferences(CLEAN, 0)).toBe(0);
    expect(await lastDifferences(WITH_DIFFERENCES, first.differences.length)).toBe(
      first.differences.length,
    );

    // An order of another region wrong too: more differences (that region's slot), found by
    // the script in its own process.
    await wrongOrder('us');
    const script = await run('npx', ['tsx', 'scripts/reconcile.ts', '--month', WITH_DIFFERENCES], {
      cwd: root,
      env: process.env,
    }).then(
      () => ({ code: 0, stdout: '' }),
      (err: { code?: number; stdout?: string }) => ({ code: err.code, stdout: err.stdout ?? '' }),
    );
    expect(script.code).toBe(1);
    const found = Number(/(\d+) difference\(s\)/.exec(script.stdout)?.[1]);
    expect(found).toBeGreaterThan(first.differences.length);
    expect(await lastDifferences(WITH_DIFFERENCES, found)).toBe(found);
    expect(await lastDifferences(CLEAN, 0)).toBe(0);
  }, 120_000);
});
