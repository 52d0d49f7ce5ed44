import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ES_REFRESH_GAP_MS } from '../activities/projection-activities';
import { config } from '../config/env';
import { orderStreamId } from '../domain';
import { EventStore } from '../eventstore';
import { ordersAlias } from '../projections/elasticsearch';
import { startTestApp, type TestApp } from './support/app';
import { placeAppendOptions, placedEvents } from './support/placed-order';
import { waitFor } from './support/wait';

// Each Elasticsearch projector batch makes its documents searchable before the checkpoint
// moves (a forced refresh: 30–40 ms of Elasticsearch CPU on this machine, against 5–7 ms for
// the bulk write itself). Under a trickle of commands every commit was a batch of its own,
// and so a refresh; the projector now starts at most one batch per ES_REFRESH_GAP_MS.
// Only the projections' workers: the commits come straight from the test.

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp(['projections']);
}, 60_000);
afterAll(() => app?.stop());

async function refreshes(): Promise<number> {
  const stats = await app.connections.es.indices.stats({
    index: ordersAlias(config().ES_INDEX_PREFIX),
    metric: 'refresh',
  });
  return stats._all.primaries?.refresh?.total ?? 0;
}

const searchable = async (orderIds: string[]) => {
  const found = await app.connections.es.search({
    index: ordersAlias(config().ES_INDEX_PREFIX),
    query: { ids: { values: orderIds } },
    size: 0,
    track_total_hits: true,
  });
  const total = found.hits.total;
  return typeof total === 'number' ? total : (total?.value ?? 0);
};

const placed = (orderId: string) => placedEvents(orderId, 'gap');
const appendOptions = () => placeAppendOptions('gap');

describe('the Elasticsearch projector under a trickle of commits', () => {
  it('refreshes at most about once per gap, and every order is searchable in the end', async () => {
    const store = new EventStore(app.connections.pool);
    // The projector is up and idle.
    const first = `o-${randomUUID()}`;
    await store.append(orderStreamId(first), 0, placed(first), appendOptions());
    await waitFor('the projector idle', async () =>
      (await searchable([first])) === 1 ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 1_500));
    const before = await refreshes();
    // Commits 20 ms apart, each its own transaction (straight into the store: the pace
    // does not depend on how fast the command path runs on a busy machine).
    const orderIds: string[] = [];
    const started = performance.now();
    for (let i = 0; i < 60; i++) {
      const orderId = `o-${randomUUID()}`;
      await store.append(orderStreamId(orderId), 0, placed(orderId), appendOptions());
      orderIds.push(orderId);
      await new Promise((r) => setTimeout(r, 20));
    }
    const elapsed = performance.now() - started;
    await waitFor('every order searchable', async () =>
      (await searchable(orderIds)) === orderIds.length ? true : undefined,
    );
    const made = (await refreshes()) - before;
    console.info(`${orderIds.length} commits in ${Math.round(elapsed)} ms, ${made} refreshes`);
    // The gap's share, plus the batch that was running and the last one. Without the gap a
    // batch follows the previous one at once: here every ~150 ms (15 refreshes in 2.4 s).
    const allowed = Math.ceil(elapsed / ES_REFRESH_GAP_MS) + 2;
    expect(orderIds.length).toBeGreaterThan(2 * allowed);
    expect(made).toBeLessThanOrEqual(allowed);
  }, 60_000);
});
