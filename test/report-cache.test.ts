import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MonthlyReport } from '../api/report-queries';
import { config } from '../config/env';
import type { ReportSlot } from '../projections/elasticsearch';
import {
  clearReportCache,
  monthlyReportKey,
  readCachedReport,
  readReportGeneration,
  reportGenerationKey,
  writeCachedReport,
} from '../projections/redis';
import { monthIn } from '../workflows/report-months';
import { startTestApp, type TestApp } from './support/app';
import { waitFor } from './support/wait';

// The race of a slow report reader: it takes the generation of (month, currency), computes
// the report, and stores it under that generation, by which time a projection (or the
// rebuild's cache clear) may have moved the generation on. The slow reader's steps are
// driven by hand against the real Redis; every other reader is the real API.
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.stop();
});

const prefix = () => config().REDIS_KEY_PREFIX;
const currentMonth = () => monthIn(new Date(), config().REPORT_TIMEZONE);

/** The raw cache entry of a slot: what a reader would find, whatever its generation. */
async function rawEntry(slot: ReportSlot): Promise<{ generation: number } | null> {
  const raw = await app.connections.redis.get(
    monthlyReportKey(prefix(), slot.month, slot.currency, slot.region),
  );
  return raw ? (JSON.parse(raw) as { generation: number }) : null;
}

async function completedOrder(currency: string): Promise<void> {
  const writer = app.client('writer');
  const { orderId } = await writer.orders.place.mutate({
    customerId: 'c-cache',
    region: 'eu',
    currency,
    items: [{ productId: 'p-cache', quantity: 2, unitPriceMinor: 500 }],
  });
  await writer.orders.complete.mutate({ orderId });
}

describe('report cache generations', () => {
  it('a report computed before a projection invalidated its month is neither stored nor served', async () => {
    const reader = app.client('reader');
    const slot: ReportSlot = { month: currentMonth(), currency: 'AUD', region: null };
    const query = { month: slot.month, currency: slot.currency };
    await completedOrder('AUD');
    // Until the one-order report is cached: an answer computed just before the projection's
    // invalidation is (rightly) not stored, and the next reader stores it.
    await waitFor('the first completion in the cached report', async () => {
      if ((await reader.reports.monthly.query(query)).totals.orderCount !== 1) return undefined;
      const cached = await readCachedReport<MonthlyReport>(app.connections.redis, prefix(), slot);
      return cached.report?.totals.orderCount === 1 ? true : undefined;
    });

    // The slow reader takes the generation and computes (here: reads) the one-order report.
    const slow = await readCachedReport<MonthlyReport>(app.connections.redis, prefix(), slot);
    expect(slow.report?.totals.orderCount).toBe(1);

    // Meanwhile a second completion is projected: the projection bumps the generation...
    await completedOrder('AUD');
    await waitFor('the projection invalidated the month', async () =>
      (await readReportGeneration(app.connections.redis, prefix(), slot)) > slow.generation
        ? true
        : undefined,
    );
    // ...and a fast reader computes and caches the two-order report.
    const fast = await reader.reports.monthly.query(query);
    expect(fast.totals.orderCount).toBe(2);

    // Only now does the slow reader store its one-order report, under the old generation.
    await writeCachedReport(app.connections.redis, prefix(), slot, slow.generation, slow.report);

    // It was not stored: the fast reader's entry is still there, and is what readers get.
    expect((await rawEntry(slot))?.generation).toBeGreaterThan(slow.generation);
    const next = await reader.reports.monthly.query(query);
    expect(next.totals.orderCount).toBe(2);
    expect(next.generatedAt).toBe(fast.generatedAt);
  });

  it("a report computed before the rebuild's cache clear is not served, even for a month never invalidated", async () => {
    const reader = app.client('reader');
    const redis = app.connections.redis;
    const slot: ReportSlot = { month: currentMonth(), currency: 'CAD', region: null };
    // No projection ever touched this slot: it has no generation yet.
    expect(await redis.exists(reportGenerationKey(prefix(), slot.month, slot.currency))).toBe(0);

    // The slow reader takes the generation and computes a report from the old read model
    // (standing in for it: a report the store does not back).
    const slow = await readCachedReport<MonthlyReport>(redis, prefix(), slot);
    const fromOldIndex: MonthlyReport = {
      month: slot.month,
      view: 'restated',
      currency: slot.currency,
      region: null,
      totals: { orderCount: 999, totalQuantity: 999, totalSalesMinor: 999 },
      products: [],
      source: 'live',
      generatedAt: new Date(0).toISOString(),
    };
    // The rebuild swaps the index, then clears the report cache (clearRedisReadModel)...
    await clearReportCache(redis, prefix());
    // ...and only then does the slow reader store its report.
    await writeCachedReport(redis, prefix(), slot, slow.generation, fromOldIndex);

    const next = await reader.reports.monthly.query({ month: slot.month, currency: 'CAD' });
    expect(next.totals.orderCount).toBe(0);
    expect(next.generatedAt).not.toBe(fromOldIndex.generatedAt);
  });
});
