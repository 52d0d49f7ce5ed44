import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { config } from '../config/env';
import { ordersAlias, readOrderDocument } from '../projections/elasticsearch';
import { startTestApp, type TestApp } from './support/app';

// Projectors read only events below the oldest transaction still open in the whole
// PostgreSQL cluster (late commits are never skipped). A commit behind one wakes the
// projector, which finds nothing it may read yet; the open transaction's end notifies nobody
// (it appended nothing, or in another database). The projector must look again soon, not a
// poll interval later: read-your-writes waits 2 s at most.
const HOLD_MS = 300;
const ROUNDS = 5;

let app: TestApp;
let other: pg.Client;
beforeAll(async () => {
  app = await startTestApp();
  // Another database of the same cluster: the run's base test database.
  other = new pg.Client({ connectionString: inject('testRun').base.DATABASE_URL });
  await other.connect();
});
afterAll(async () => {
  await other?.end();
  await app?.stop();
});

/** How long after the older transaction ended the order appeared in Elasticsearch. */
async function projectedAfterRelease(): Promise<number> {
  await other.query('begin');
  await other.query('select pg_current_xact_id()');
  let orderId: string;
  let released: number;
  try {
    ({ orderId } = await app.client('writer').orders.place.mutate({
      customerId: 'c-held-back',
      region: 'eu',
      currency: 'EUR',
      items: [{ productId: 'p-held-back', quantity: 1, unitPriceMinor: 100 }],
    }));
    await new Promise((r) => setTimeout(r, HOLD_MS));
  } finally {
    await other.query('commit');
    released = performance.now();
  }
  const alias = ordersAlias(config().ES_INDEX_PREFIX);
  while (!(await readOrderDocument(app.connections.es, alias, orderId))) {
    if (performance.now() - released > 10_000) throw new Error(`order ${orderId} never projected`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return performance.now() - released;
}

describe('a commit held back by an older transaction of another database', () => {
  it('is projected soon after that transaction ends, not a poll interval later', async () => {
    const latencies: number[] = [];
    for (let i = 0; i < ROUNDS; i++) latencies.push(await projectedAfterRelease());
    const median = [...latencies].sort((a, b) => a - b)[Math.floor(ROUNDS / 2)] ?? Infinity;
    expect(median, `ms after release: ${latencies.map(Math.round).join(', ')}`).toBeLessThan(400);
  });
});
