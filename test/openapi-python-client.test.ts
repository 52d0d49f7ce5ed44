import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, TOKENS } from './support/app';

// A client in another language, written from /openapi.json alone (Python, standard library
// only: clients/python/orders_client.py), places, completes and reads an order and its
// month's report against the live app.

const run = promisify(execFile);

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.stop());

describe('the Python client', () => {
  it('places, completes and reads an order and its monthly report through the REST routes', async () => {
    const { stdout, stderr } = await run('python3', ['clients/python/orders_client.py'], {
      env: { ...process.env, ORDERS_API_URL: app.url, ORDERS_API_TOKEN: TOKENS.writer },
      timeout: 60_000,
    });
    expect(stderr).toBe('');
    const out = JSON.parse(stdout) as {
      placed: { orderId: string; commandId: string; version: number };
      replayed: unknown;
      completed: { version: number };
      order: { status: string; totalMinor: number; stale: boolean; reportMonth: string };
      report: {
        month: string;
        region: string;
        stale: boolean;
        totals: { orderCount: number; totalQuantity: number; totalSalesMinor: number };
        products: { productId: string; totalSalesMinor: number }[];
      };
      cancelAfterComplete: { status: number; code: string } | null;
    };
    expect(out.replayed).toEqual(out.placed);
    expect(out.completed.version).toBe(2);
    expect(out.order).toMatchObject({
      status: 'completed',
      totalMinor: 3 * 1250 + 99,
      stale: false,
    });
    expect(out.report).toMatchObject({
      month: out.order.reportMonth,
      region: 'py',
      stale: false,
      totals: { orderCount: 1, totalQuantity: 4, totalSalesMinor: 3 * 1250 + 99 },
    });
    expect(out.report.products.map((p) => p.productId).sort()).toEqual(['p-py-1', 'p-py-2']);
    expect(out.cancelAfterComplete).toEqual({ status: 409, code: 'CONFLICT' });
    // What the client read is what the typed client reads.
    const order = await app.client('reader').orders.get.query({ orderId: out.placed.orderId });
    expect(order.totalMinor).toBe(out.order.totalMinor);
  });
});
