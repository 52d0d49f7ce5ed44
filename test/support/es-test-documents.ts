// What the Elasticsearch read-model tests share: a client and an index prefix per test file,
// deterministic randomness, and order documents built the way the projection builds them.
import { randomUUID } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import { afterAll } from 'vitest';
import { config } from '../../config/env';
import type { Order, OrderStatus } from '../../domain';
import {
  type OrderDocument,
  ordersAlias,
  readOrderDocument,
  toOrderDocument,
} from '../../projections/elasticsearch';
import { waitFor } from './wait';

/**
 * A client and a prefix of the calling test file's own: every index and template of the file
 * lives under the prefix (each describe block adds a part to it, so they never see each
 * other's documents), and all of them are deleted after the file.
 */
export function esTestFile(): { es: Client; prefix: string } {
  const prefix = `test-es-${randomUUID().slice(0, 8)}-`;
  const es = new Client({ node: config().ELASTICSEARCH_URL });
  afterAll(async () => {
    // Deleting by wildcard is refused (action.destructive_requires_name), so list the names.
    const rows = await es.cat.indices({ index: `${prefix}*`, h: 'index', format: 'json' });
    const indices = rows.flatMap((row) => (row.index ? [row.index] : []));
    if (indices.length > 0) await es.indices.delete({ index: indices });
    const templates = await es.indices.getIndexTemplate({ name: `${prefix}*` }, { ignore: [404] });
    for (const t of templates.index_templates ?? []) {
      await es.indices.deleteIndexTemplate({ name: t.name });
    }
    await es.close();
  });
  return { es, prefix };
}

/** Deterministic randomness (mulberry32), so a failure replays from its seed. */
export function seeded(seed: number): { int(max: number): number; pick<T>(xs: readonly T[]): T } {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number): number => Math.floor(next() * max);
  return { int, pick: (xs) => xs[int(xs.length)] as (typeof xs)[number] };
}

export interface OrderSpec {
  orderId: string;
  customerId?: string;
  region?: string;
  currency?: string;
  status?: OrderStatus;
  items: { productId: string; quantity: number; unitPriceMinor: number }[];
  placedAt?: string;
  completedAt?: string;
}

/** An order in `status` built like the domain does, and the document the projection writes. */
export function orderDoc(spec: OrderSpec, timeZone = 'UTC'): OrderDocument {
  const status = spec.status ?? 'placed';
  const items = spec.items.map((i) => ({ ...i, lineTotalMinor: i.quantity * i.unitPriceMinor }));
  const placedAt = spec.placedAt ?? '2025-10-01T08:00:00.000Z';
  const completedAt = spec.completedAt ?? '2025-10-02T12:00:00.000Z';
  const order: Order = {
    orderId: spec.orderId,
    status,
    customerId: spec.customerId ?? 'c-1',
    region: spec.region ?? 'eu',
    currency: spec.currency ?? 'EUR',
    items,
    totalQuantity: items.reduce((sum, i) => sum + i.quantity, 0),
    totalMinor: items.reduce((sum, i) => sum + i.lineTotalMinor, 0),
    placedAt,
    ...(status === 'completed' || status === 'refunded' ? { completedAt } : {}),
    ...(status === 'cancelled' ? { cancelledAt: completedAt, cancelReason: 'test' } : {}),
    ...(status === 'refunded' ? { refundedAt: completedAt, refundReason: 'test' } : {}),
  };
  const version = { placed: 1, completed: 2, cancelled: 2, refunded: 3 }[status];
  return toOrderDocument(order, version, timeZone);
}

/**
 * Makes an order's read-model document wrong (its total one minor unit off) at a version so
 * far ahead that the projector never writes over it: what reconcile must find. Answers how
 * to put the truth back (a rebuild would do the same).
 */
export async function tamperOrderDocument(
  es: Client,
  orderId: string,
  /** The version the projector writes first: tampering an older one would hide that write. */
  atVersion: number,
): Promise<{ restore(): Promise<void> }> {
  const alias = ordersAlias(config().ES_INDEX_PREFIX);
  // Another read model (the Redis cache) may have answered the version already: this one
  // projects on its own, up to ES_REFRESH_GAP_MS (activities/projection-activities.ts) later.
  const doc = await waitFor(
    `${orderId} projected to Elasticsearch at version ${atVersion}`,
    async () => {
      const found = await readOrderDocument(es, alias, orderId);
      return found && found.version >= atVersion ? found : undefined;
    },
  );
  const write = async (document: OrderDocument, version: number) => {
    await es.index({
      index: alias,
      id: doc.orderId,
      document,
      version,
      version_type: 'external',
      refresh: true,
    });
  };
  await write(
    { ...doc, totalMinor: doc.totalMinor + 1, version: doc.version + 1000 },
    doc.version + 1000,
  );
  return { restore: () => write({ ...doc, version: doc.version + 1001 }, doc.version + 1001) };
}
