import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READ_YOUR_WRITES_WAIT_MS } from '../api/order-queries';
import { waitForPosition } from '../api/read-your-writes';
import { config } from '../config/env';
import { createPool } from '../eventstore';
import { startTestApp, type TestApp } from './support/app';

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
