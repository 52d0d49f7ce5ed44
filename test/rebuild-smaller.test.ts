import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config } from '../config/env';
import { currentOrdersIndex, ordersAlias, readOrderDocument } from '../projections/elasticsearch';
import { startTestApp, type TestApp } from './support/app';
import { waitFor } from './support/wait';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp(['commands', 'projections']);
});
afterAll(async () => {
  await app?.stop();
});

async function rebuildEnded(): Promise<{ status: string; error?: string; index?: string }> {
  const admin = app.client('admin');
  return waitFor(
    'the rebuild ended',
    async () => {
      const p = await admin.admin.projections.rebuildProgress.query({
        readModel: 'elasticsearch',
      });
      if (p.status === 'RUNNING') return undefined;
      return { status: p.status, error: p.error, index: p.progress?.index ?? undefined };
    },
    120_000,
    250,
  );
}

describe('a rebuilt index smaller than the one it replaces', () => {
  it('is not swapped in (the rebuild fails saying why) unless the rebuild is forced', async () => {
    const { es } = app.connections;
    const prefix = config().ES_INDEX_PREFIX;
    const placed = await app.client('writer').orders.place.mutate({
      customerId: 'c-smaller',
      region: 'eu',
      currency: 'EUR',
      items: [{ productId: 'p-smaller', quantity: 1, unitPriceMinor: 100 }],
    });
    const alias = ordersAlias(prefix);
    await waitFor('the order projected', async () =>
      (await readOrderDocument(es, alias, placed.orderId)) ? true : undefined,
    );
    // Orders the event store does not hold, enough that a rebuild from the store comes out
    // smaller: as many as the store has orders the live index lacks (other files of the run
    // let retention delete old documents, which a rebuild brings back), plus one.
    const live = await currentOrdersIndex(es, prefix);
    if (!live) throw new Error('no orders index');
    await es.indices.refresh({ index: live });
    const inStore =
      (
        await app.connections.pool.query<{ n: number }>(
          `select count(*)::int as n from streams where stream_id like 'order-%'`,
        )
      ).rows[0]?.n ?? 0;
    const inIndex = (await es.count({ index: live })).count;
    const ghosts = Math.max(0, inStore - inIndex) + 1;
    await es.bulk({
      refresh: true,
      operations: Array.from({ length: ghosts }, (_, i) => [
        { index: { _index: live, _id: i === 0 ? 'ghost' : `ghost-${i}` } },
        { orderId: i === 0 ? 'ghost' : `ghost-${i}`, status: 'placed', version: 1 },
      ]).flat(),
    });

    const admin = app.client('admin');
    // A store not restored from elsewhere: the status has nothing to say about it.
    expect((await admin.admin.projections.status.query()).restoredEvents).toBeNull();
    await admin.admin.projections.rebuild.mutate({ readModel: 'elasticsearch' });
    const refused = await rebuildEnded();
    expect(refused.status).toBe('FAILED');
    expect(refused.error).toMatch(/holds \d+ orders, fewer than the \d+ of .* force: true/);
    expect(await currentOrdersIndex(es, prefix)).toBe(live);
    expect(await readOrderDocument(es, alias, 'ghost')).not.toBeNull();
    // The refused index is not left behind.
    const rebuilt = refused.error?.match(/the rebuilt index (\S+) holds/)?.[1] ?? '';
    expect(rebuilt).not.toBe('');
    expect(await es.indices.exists({ index: rebuilt })).toBe(false);

    await admin.admin.projections.rebuild.mutate({ readModel: 'elasticsearch', force: true });
    await waitFor(
      'the forced rebuild done',
      async () => {
        const p = await admin.admin.projections.rebuildProgress.query({
          readModel: 'elasticsearch',
        });
        return p.progress?.phase === 'done' ? true : undefined;
      },
      120_000,
      250,
    );
    expect(await currentOrdersIndex(es, prefix)).not.toBe(live);
    expect(await readOrderDocument(es, alias, 'ghost')).toBeNull();
    expect(await readOrderDocument(es, alias, placed.orderId)).not.toBeNull();
  }, 300_000);
});
