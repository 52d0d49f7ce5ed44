// The orders read model in Elasticsearch: the document the projection writes, the versioned
// index behind its alias, writing (strict mapping, highest version wins) and searching.
import { beforeAll, describe, expect, it } from 'vitest';
import type { OrderStatus } from '../domain';
import {
  bulkWriteOrderDocuments,
  createNextOrdersIndex,
  currentOrdersIndex,
  ensureOrdersIndex,
  ensureReportsIndex,
  InvalidCursorError,
  NonRetryableProjectionError,
  type OrderDocument,
  type OrderSearchFilters,
  ordersAlias,
  ordersIndexName,
  readOrderDocument,
  reportMonthOf,
  reportsIndexName,
  searchOrders,
  swapOrdersAlias,
  writeOrderDocument,
} from '../projections/elasticsearch';
import { esTestFile, orderDoc, seeded } from './support/es-test-documents';

const { es, prefix } = esTestFile();

const oneLine = [{ productId: 'p-1', quantity: 2, unitPriceMinor: 1250 }];

describe('order document', () => {
  it('puts an order in the month of its completion as seen in the report time zone', () => {
    expect(reportMonthOf('2025-10-31T23:30:00.000Z', 'Asia/Shanghai')).toBe('2025-11');
    expect(reportMonthOf('2025-10-31T23:30:00.000Z', 'UTC')).toBe('2025-10');
    expect(reportMonthOf('2025-11-01T03:00:00.000Z', 'America/New_York')).toBe('2025-10');
    const late = { orderId: 'o-tz', status: 'completed' as const, items: oneLine };
    const completedAt = '2025-10-31T23:30:00.000Z';
    expect(orderDoc({ ...late, completedAt }, 'Asia/Shanghai').reportMonth).toBe('2025-11');
    expect(orderDoc({ ...late, completedAt }, 'UTC').reportMonth).toBe('2025-10');
  });

  it('keeps the report month after a refund, has none before completion, lists products once', () => {
    const items = [
      { productId: 'p-b', quantity: 1, unitPriceMinor: 5 },
      { productId: 'p-a', quantity: 2, unitPriceMinor: 7 },
      { productId: 'p-b', quantity: 3, unitPriceMinor: 5 },
    ];
    const refunded = orderDoc({ orderId: 'o-r', status: 'refunded', items });
    expect(refunded).toMatchObject({
      status: 'refunded',
      reportMonth: '2025-10',
      productIds: ['p-a', 'p-b'],
      totalQuantity: 6,
      totalMinor: 34,
      cancelledAt: null,
      version: 3,
    });
    expect(refunded.refundedAt).not.toBeNull();
    expect(orderDoc({ orderId: 'o-p', items }).reportMonth).toBeNull();
    expect(orderDoc({ orderId: 'o-c', status: 'cancelled', items }).reportMonth).toBeNull();
  });
});

describe('orders index', () => {
  it('is created once however many workers ensure it at the same time, with strict mappings', async () => {
    const p = `${prefix}ensure-`;
    const indices = await Promise.all(Array.from({ length: 6 }, () => ensureOrdersIndex(es, p)));
    expect(new Set(indices)).toEqual(new Set([ordersIndexName(p, 1)]));
    expect(await ensureOrdersIndex(es, p)).toBe(ordersIndexName(p, 1));
    const mapping = await es.indices.getMapping({ index: ordersAlias(p) });
    const mappings = mapping[ordersIndexName(p, 1)]?.mappings;
    expect(mappings?.dynamic).toBe('strict');
    expect(mappings?.properties?.items).toMatchObject({
      type: 'nested',
      properties: { productId: { type: 'keyword' }, lineTotalMinor: { type: 'long' } },
    });
    expect(mappings?.properties?.totalMinor).toEqual({ type: 'long' });
    expect(mappings?.properties?.placedAt).toEqual({ type: 'date' });
    const settings = await es.indices.getSettings({ index: ordersIndexName(p, 1) });
    expect(settings[ordersIndexName(p, 1)]?.settings?.index).toMatchObject({
      number_of_shards: '1',
      number_of_replicas: '0',
      auto_expand_replicas: '0-1',
    });
  });

  it('replicas follow ELASTICSEARCH_REPLICAS, also on indices created before: one node stays green with the default', async () => {
    const p = `${prefix}replicas-`;
    const index = await ensureOrdersIndex(es, p);
    const health = async () =>
      (await es.cluster.health({ index: [index, reportsIndexName(p)], timeout: '5s' })).status;
    await ensureReportsIndex(es, p);
    expect(await health()).toBe('green');
    const replicasOf = async (name: string) =>
      (await es.indices.getSettings({ index: name }))[name]?.settings?.index;
    // A fixed number reaches the existing indices (yellow here: one node cannot hold a copy).
    await ensureOrdersIndex(es, p, '1');
    await ensureReportsIndex(es, p, '1');
    for (const name of [index, reportsIndexName(p)]) {
      expect(await replicasOf(name)).toMatchObject({
        number_of_replicas: '1',
        auto_expand_replicas: 'false',
      });
    }
    expect(await health()).toBe('yellow');
    // ...and back to the default range, which a rebuild's new generation gets too.
    await ensureOrdersIndex(es, p);
    await ensureReportsIndex(es, p);
    expect(await health()).toBe('green');
    const next = await createNextOrdersIndex(es, p);
    expect(await replicasOf(next)).toMatchObject({ auto_expand_replicas: '0-1' });
  });

  it('gives an index created before a field existed the field (refundMonth), so new documents are accepted', async () => {
    // The mappings of today, less refundMonth, on generation 1 of a prefix without a template.
    const current = await ensureOrdersIndex(es, `${prefix}mapping-now-`);
    const now = (await es.indices.getMapping({ index: current }))[current]?.mappings;
    const { refundMonth, ...older } = now?.properties ?? {};
    expect(refundMonth).toEqual({ type: 'keyword' });
    const p = `${prefix}mapping-old-`;
    await es.indices.create({
      index: ordersIndexName(p, 1),
      settings: { number_of_shards: 1, number_of_replicas: 0 },
      mappings: { dynamic: 'strict', properties: older },
      aliases: { [ordersAlias(p)]: {} },
    });
    const refunded = orderDoc({ orderId: 'o-old-mapping', status: 'refunded', items: oneLine });
    expect(refunded.refundMonth).not.toBeNull();
    await expect(writeOrderDocument(es, ordersAlias(p), refunded)).rejects.toThrow();

    expect(await ensureOrdersIndex(es, p)).toBe(ordersIndexName(p, 1));
    expect(await writeOrderDocument(es, ordersAlias(p), refunded)).toBe('written');
    expect(await readOrderDocument(es, ordersAlias(p), 'o-old-mapping')).toEqual(refunded);
  });

  it('moves the alias to a new generation in one step', async () => {
    const p = `${prefix}swap-`;
    const alias = ordersAlias(p);
    const first = await ensureOrdersIndex(es, p);
    await writeOrderDocument(es, alias, orderDoc({ orderId: 'o-old', items: oneLine }));
    const next = await createNextOrdersIndex(es, p);
    expect(next).toBe(ordersIndexName(p, 2));
    expect(await currentOrdersIndex(es, p)).toBe(first);
    const rebuilt = orderDoc({ orderId: 'o-new', status: 'completed', items: oneLine });
    expect(await bulkWriteOrderDocuments(es, next, [rebuilt])).toEqual({
      written: 1,
      stale: 0,
      rejected: [],
    });

    expect(await swapOrdersAlias(es, p, next)).toEqual([first]);
    expect(await currentOrdersIndex(es, p)).toBe(next);
    expect(Object.keys(await es.indices.getAlias({ name: alias }))).toEqual([next]);
    expect(await readOrderDocument(es, alias, 'o-new')).toEqual(rebuilt);
    expect(await readOrderDocument(es, alias, 'o-old')).toBeNull();
    // Swapping again is a no-op; the generation after a swap continues the numbering.
    expect(await swapOrdersAlias(es, p, next)).toEqual([]);
    expect(await createNextOrdersIndex(es, p)).toBe(ordersIndexName(p, 3));
    expect(await ensureOrdersIndex(es, p)).toBe(next);
  });
});

describe('writing orders', () => {
  const p = `${prefix}write-`;
  let alias: string;
  beforeAll(async () => {
    await ensureOrdersIndex(es, p);
    alias = ordersAlias(p);
  });

  it('refuses a document the strict mapping does not know, as a non-retryable error', async () => {
    const doc = orderDoc({ orderId: 'o-strict', items: oneLine });
    const unknownField = { ...doc, discountMinor: 5 } as OrderDocument;
    await expect(writeOrderDocument(es, alias, unknownField)).rejects.toBeInstanceOf(
      NonRetryableProjectionError,
    );
    await expect(bulkWriteOrderDocuments(es, alias, [doc, unknownField])).rejects.toThrow(
      NonRetryableProjectionError,
    );
    const notADate = { ...doc, orderId: 'o-date', placedAt: 'yesterday' };
    await expect(writeOrderDocument(es, alias, notADate)).rejects.toMatchObject({
      name: 'NonRetryableProjectionError',
    });
  });

  it('keeps the highest version: older and repeated deliveries are stale no-ops', async () => {
    const v1 = orderDoc({ orderId: 'o-ver', items: oneLine });
    const v2 = orderDoc({ orderId: 'o-ver', status: 'completed', items: oneLine });
    expect(v2.version).toBe(2);
    expect(await writeOrderDocument(es, alias, v2)).toBe('written');
    expect(await writeOrderDocument(es, alias, v1)).toBe('stale');
    expect(await writeOrderDocument(es, alias, v2)).toBe('stale');
    expect(await readOrderDocument(es, alias, 'o-ver')).toEqual(v2);

    const v3 = orderDoc({ orderId: 'o-ver', status: 'refunded', items: oneLine });
    const other = orderDoc({ orderId: 'o-ver-2', items: oneLine });
    expect(await bulkWriteOrderDocuments(es, alias, [v1, v2, v3, other])).toEqual({
      written: 2,
      stale: 2,
      rejected: [],
    });
    expect(await readOrderDocument(es, alias, 'o-ver')).toEqual(v3);
  });

  it('answers null for an unknown order and never auto-creates an index behind a missing alias', async () => {
    expect(await readOrderDocument(es, alias, 'no-such-order')).toBeNull();
    const missing = `${prefix}nothing-here-orders`;
    const doc = orderDoc({ orderId: 'o-lost', items: oneLine });
    await expect(writeOrderDocument(es, missing, doc)).rejects.not.toBeInstanceOf(
      NonRetryableProjectionError,
    );
    expect(await es.indices.exists({ index: missing })).toBe(false);
    await expect(readOrderDocument(es, missing, 'o-lost')).rejects.toThrow();
  });
});

describe('searching orders', () => {
  const p = `${prefix}search-`;
  let alias: string;
  const docs: OrderDocument[] = [];
  const rand = seeded(57);

  beforeAll(async () => {
    await ensureOrdersIndex(es, p);
    alias = ordersAlias(p);
    const statuses: OrderStatus[] = ['placed', 'completed', 'cancelled', 'refunded'];
    for (let i = 0; i < 57; i++) {
      // Few distinct instants, so many orders share one and the orderId tie-break matters.
      const day = String(1 + rand.int(8)).padStart(2, '0');
      docs.push(
        orderDoc({
          orderId: `o-${String(rand.int(1_000_000)).padStart(6, '0')}-${i}`,
          customerId: rand.pick(['c-1', 'c-2', 'c-3']),
          region: rand.pick(['eu', 'us', 'apac']),
          currency: rand.pick(['EUR', 'USD']),
          status: rand.pick(statuses),
          placedAt: `2025-09-${day}T10:00:00.000Z`,
          completedAt: `2025-09-${day}T11:00:00.000Z`,
          items: Array.from({ length: 1 + rand.int(3) }, () => ({
            productId: rand.pick(['p-1', 'p-2', 'p-3', 'p-4', 'p-5']),
            quantity: 1 + rand.int(4),
            unitPriceMinor: 100 + rand.int(900),
          })),
        }),
      );
    }
    await bulkWriteOrderDocuments(es, alias, docs);
    await es.indices.refresh({ index: alias });
  });

  function expected(filters: OrderSearchFilters): string[] {
    return docs
      .filter(
        (d) =>
          (filters.status === undefined || d.status === filters.status) &&
          (filters.region === undefined || d.region === filters.region) &&
          (filters.customerId === undefined || d.customerId === filters.customerId) &&
          (filters.productId === undefined || d.productIds.includes(filters.productId)) &&
          (filters.currency === undefined || d.currency === filters.currency) &&
          (filters.placedFrom === undefined || d.placedAt >= filters.placedFrom) &&
          (filters.placedTo === undefined || d.placedAt < filters.placedTo),
      )
      .sort((a, b) =>
        a.placedAt !== b.placedAt
          ? b.placedAt.localeCompare(a.placedAt)
          : a.orderId < b.orderId
            ? -1
            : 1,
      )
      .map((d) => d.orderId);
  }

  async function allPages(filters: OrderSearchFilters, pageSize: number): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 100; page++) {
      const result = await searchOrders(es, alias, filters, pageSize, cursor);
      expect(result.items.length).toBeLessThanOrEqual(pageSize);
      ids.push(...result.items.map((d) => d.orderId));
      if (!result.nextCursor) return ids;
      cursor = result.nextCursor;
    }
    throw new Error('pagination did not end');
  }

  it('pages through every order exactly once, newest first, ties by orderId', async () => {
    const ids = await allPages({}, 10);
    expect(ids).toHaveLength(57);
    expect(new Set(ids).size).toBe(57);
    expect(ids).toEqual(expected({}));
    const first = await searchOrders(es, alias, {}, 10);
    expect(first.items).toEqual(
      expected({})
        .slice(0, 10)
        .map((id) => docs.find((d) => d.orderId === id)),
    );
  });

  it.each<[string, OrderSearchFilters]>([
    ['status', { status: 'completed' }],
    ['region', { region: 'us' }],
    ['customerId', { customerId: 'c-2' }],
    ['productId', { productId: 'p-3' }],
    ['currency', { currency: 'USD' }],
    ['placedFrom (inclusive)', { placedFrom: '2025-09-04T10:00:00.000Z' }],
    ['placedTo (exclusive)', { placedTo: '2025-09-04T10:00:00.000Z' }],
    [
      'a placed window',
      { placedFrom: '2025-09-02T00:00:00.000Z', placedTo: '2025-09-06T10:00:00.000Z' },
    ],
    ['several at once', { status: 'placed', currency: 'EUR', productId: 'p-1' }],
  ])('filters by %s', async (_, filters) => {
    const want = expected(filters);
    expect(want.length).toBeGreaterThan(0);
    expect(want.length).toBeLessThan(57);
    expect(await allPages(filters, 10)).toEqual(want);
    expect(await allPages(filters, 3)).toEqual(want);
  });

  it('treats filter values as exact terms, never as query syntax', async () => {
    expect(await allPages({ region: 'eu OR us' }, 10)).toEqual([]);
    expect(await allPages({ customerId: 'c-*' }, 10)).toEqual([]);
  });

  it('refuses a malformed cursor clearly', async () => {
    for (const cursor of ['not-a-cursor', Buffer.from('[1]').toString('base64url'), '']) {
      await expect(searchOrders(es, alias, {}, 10, cursor)).rejects.toBeInstanceOf(
        InvalidCursorError,
      );
    }
    await expect(searchOrders(es, alias, {}, 10, 'garbage')).rejects.toThrow(/invalid cursor/);
  });
});
