import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READ_YOUR_WRITES_WAIT_MS } from '../api/order-queries';
import { waitForPosition } from '../api/read-your-writes';
import { config } from '../config/env';
import { createPool } from '../eventstore';
import { taskQueue } from '../temporal/task-queues';
import type { monthlyRollupWorkflow } from '../workflows/reports';
import { startTestApp, type TestApp } from './support/app';
import { completeOrderIn } from './support/completed-orders';
import { waitFor } from './support/wait';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.stop();
});

describe('read-your-writes with minPosition', () => {
  it('a search right after each command sees it, every time', async () => {
    const writer = app.client('writer');
    const reader = app.client('reader');
    const customerId = `c-ryw-${Date.now()}`;
    for (let i = 0; i < 30; i++) {
      const placed = await writer.orders.place.mutate({
        customerId,
        region: 'eu',
        currency: 'EUR',
        items: [{ productId: 'p-ryw', quantity: 1, unitPriceMinor: 100 + i }],
      });
      const page = await reader.orders.search.query({
        customerId,
        pageSize: 100,
        minPosition: placed.position,
      });
      expect(page.stale).toBe(false);
      expect(page.items.map((o) => o.orderId)).toContain(placed.orderId);
    }
  });

  it('a report right after a completion counts it', async () => {
    // Admin commands pin the time: the month comes from the data, not the wall clock.
    const admin = app.client('admin');
    const { orderId } = await admin.orders.place.mutate({
      customerId: 'c-ryw-report',
      region: 'eu',
      currency: 'SEK',
      items: [{ productId: 'p-ryw-report', quantity: 2, unitPriceMinor: 1_250 }],
      at: '2024-03-10T10:00:00.000Z',
    });
    const done = await admin.orders.complete.mutate({ orderId, at: '2024-03-11T10:00:00.000Z' });
    const report = await app.client('reader').reports.monthly.query({
      month: '2024-03',
      currency: 'SEK',
      minPosition: done.position,
    });
    expect(report.stale).toBe(false);
    expect(report.products.find((p) => p.productId === 'p-ryw-report')?.totalQuantity).toBe(2);
  });

  it('a report of a rolled-up month right after a refund leaves the refunded order out, and caches no older answer', async () => {
    // Given a closed month rolled up with two orders, and its rollup cached
    const admin = app.client('admin');
    const reader = app.client('reader');
    const month = '2023-02';
    const slot = { month, currency: 'DKK' };
    const kept = await completeOrderIn(
      admin,
      month,
      { productId: 'p-ryw-kept', quantity: 1, unitPriceMinor: 500 },
      { currency: 'DKK' },
    );
    const refunded = await completeOrderIn(
      admin,
      month,
      { productId: 'p-ryw-refunded', quantity: 3, unitPriceMinor: 700 },
      { currency: 'DKK' },
    );
    await reader.reports.monthly.query({ ...slot, minPosition: refunded.position });
    await app.connections.temporal.workflow.execute<typeof monthlyRollupWorkflow>(
      'monthlyRollupWorkflow',
      {
        workflowId: `test-ryw-rollup-${month}-${Date.now()}`,
        taskQueue: taskQueue('commands'),
        args: [{ timeZone: config().REPORT_TIMEZONE, month }],
      },
    );
    const before = await reader.reports.monthly.query(slot);
    expect(before.source).toBe('rollup');
    expect(before.totals.orderCount).toBe(2);

    // When one order is refunded, and the month is read at once (its re-rollup waits for quiet)
    const refund = await admin.orders.refund.mutate({
      orderId: refunded.orderId,
      reason: 'read-your-writes on a rolled-up month',
    });
    const after = await reader.reports.monthly.query({ ...slot, minPosition: refund.position });

    // Then the answer includes the refund, as stale: false promises, and so does the next
    // reader's (no older answer was cached under the month's new generation)
    const expected = { orderCount: 1, totalQuantity: 1, totalSalesMinor: 500 };
    expect({ stale: after.stale, totals: after.totals }).toEqual({
      stale: false,
      totals: expected,
    });
    expect(after.products.map((p) => p.productId)).toEqual([kept.productId]);
    expect((await reader.reports.monthly.query(slot)).totals).toEqual(expected);
    // And once the month is re-rolled, its rollup answers again, with the refund
    const rerolled = await waitFor(
      'the re-rollup',
      async () => {
        const r = await reader.reports.monthly.query(slot);
        return r.source === 'rollup' && r.generatedAt !== before.generatedAt ? r : undefined;
      },
      60_000,
      250,
    );
    expect(rerolled.totals).toEqual(expected);
  });

  it('a position not reached yet answers stale after the bounded wait', async () => {
    const started = Date.now();
    const page = await app
      .client('reader')
      .orders.search.query({ customerId: 'nobody', minPosition: Number.MAX_SAFE_INTEGER });
    const waited = Date.now() - started;
    expect(page.stale).toBe(true);
    expect(waited).toBeGreaterThanOrEqual(READ_YOUR_WRITES_WAIT_MS);
    expect(waited).toBeLessThan(READ_YOUR_WRITES_WAIT_MS + 3_000);
  });

  it('PostgreSQL not answering: stale after the bounded wait, one check sent, not one per poll', async () => {
    // A pool whose only connection is taken stands for one filled by a hung server: a
    // check waits up to 30 s for a connection.
    const pool = createPool(config().DATABASE_URL, 1, { connectTimeoutMs: 30_000 });
    const held = await pool.connect();
    try {
      const started = Date.now();
      expect(await waitForPosition(pool, 'elasticsearch', 1)).toBe(false);
      expect(Date.now() - started).toBeLessThan(READ_YOUR_WRITES_WAIT_MS + 1_000);
      expect(pool.waitingCount).toBe(1);
    } finally {
      held.release();
      await pool.end();
    }
  });
});
