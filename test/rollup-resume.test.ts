import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReportActivities, type RollupProgress } from '../activities/report-activities';
import { config } from '../config/env';
import { ordersAlias, readOrderDocument, readRollup } from '../projections/elasticsearch';
import { startTestApp, type TestApp } from './support/app';
import { waitFor } from './support/wait';

// A month's rollup records, with its heartbeats, each slot it has written; the retry of an
// attempt whose worker died resumes there instead of starting over. The activity runs in
// Temporal's activity test context (heartbeats and the earlier attempt's details), against
// the real Elasticsearch and Redis.

const MONTH = '2014-03';
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.stop();
});

async function completedOrder(currency: string, region: string) {
  const admin = app.client('admin');
  const { orderId } = await admin.orders.place.mutate({
    customerId: 'c-resume',
    region,
    currency,
    items: [{ productId: 'p-resume', quantity: 1, unitPriceMinor: 2_500 }],
    at: `${MONTH}-05T10:00:00Z`,
  });
  const done = await admin.orders.complete.mutate({ orderId, at: `${MONTH}-06T10:00:00Z` });
  await waitFor('projected', async () =>
    (await readOrderDocument(app.connections.es, ordersAlias(config().ES_INDEX_PREFIX), orderId))
      ?.version === done.version
      ? true
      : undefined,
  );
}

describe('a rollup retried after its worker died', () => {
  it('skips the slots the earlier attempt wrote, and reports each slot it writes', async () => {
    await completedOrder('CHF', 'resume-a');
    await completedOrder('NOK', 'resume-b');
    await app.connections.es.indices.refresh({ index: ordersAlias(config().ES_INDEX_PREFIX) });
    const activities = createReportActivities({
      ...app.connections,
      esPrefix: config().ES_INDEX_PREFIX,
      redisPrefix: config().REDIS_KEY_PREFIX,
      reportTimeZone: config().REPORT_TIMEZONE,
    });
    // The earlier attempt wrote the CHF slots, then its worker died.
    const earlier: RollupProgress = {
      generatedAt: '2014-04-01T01:00:00.000Z',
      done: ['CHF/resume-a', 'CHF/*'],
    };
    const env = new MockActivityEnvironment({ heartbeatDetails: earlier, attempt: 2 });
    const beats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => beats.push(details));
    await env.run(activities.rollupMonth, { month: MONTH });

    const slot = (currency: string, region: string | null) => ({ month: MONTH, currency, region });
    const prefix = config().ES_INDEX_PREFIX;
    // Skipped: this attempt wrote nothing for them.
    expect(await readRollup(app.connections.es, prefix, slot('CHF', 'resume-a'))).toBeNull();
    expect(await readRollup(app.connections.es, prefix, slot('CHF', null))).toBeNull();
    // Written, with the earlier attempt's generation time.
    const nok = await readRollup(app.connections.es, prefix, slot('NOK', 'resume-b'));
    expect(nok).toMatchObject({ generatedAt: earlier.generatedAt, totals: { orderCount: 1 } });
    expect(beats.at(-1)).toEqual({
      generatedAt: earlier.generatedAt,
      done: expect.arrayContaining(['CHF/resume-a', 'CHF/*', 'NOK/resume-b', 'NOK/*']),
      // The earlier attempt recorded no change count (older code): this one claims none.
      asOf: 0,
    });
  });
});
