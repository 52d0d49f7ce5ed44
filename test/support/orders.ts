import { randomUUID } from 'node:crypto';
import type { OrdersClient } from '../../api/client';
// Deterministic, so a failing run can be replayed from its seed: the benchmark's generator.
import { mulberry32 as prng } from '../../bench/reports-at-scale/generated-orders';

export interface GeneratedOrder {
  orderId: string;
  currency: string;
  region: string;
  items: { productId: string; quantity: number; unitPriceMinor: number }[];
  fate: 'placed' | 'completed' | 'cancelled' | 'refunded';
  completedAt: string | null;
  version: number;
}

/** Places and moves orders through the API as an admin (to date them inside `month`). */
export async function generateOrders(
  admin: OrdersClient,
  opts: {
    count: number;
    month: string;
    currencies: string[];
    regions: string[];
    products: number;
    seed: number;
  },
): Promise<GeneratedOrder[]> {
  const rand = prng(opts.seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const fates: GeneratedOrder['fate'][] = [
    'placed',
    'completed',
    'completed',
    'completed',
    'cancelled',
    'refunded',
  ];
  const specs = Array.from({ length: opts.count }, (_, i) => {
    const day = String(1 + Math.floor(rand() * 27)).padStart(2, '0');
    return {
      i,
      currency: pick(opts.currencies),
      region: pick(opts.regions),
      fate: pick(fates),
      placedAt: `${opts.month}-${day}T08:00:00.000Z`,
      completedAt: `${opts.month}-${day}T12:00:00.000Z`,
      items: Array.from({ length: 1 + Math.floor(rand() * 4) }, (_, k) => ({
        productId: `p-${(Math.floor(rand() * opts.products) + k) % opts.products}`,
        quantity: 1 + Math.floor(rand() * 5),
        unitPriceMinor: 100 + Math.floor(rand() * 10_000),
      })),
    };
  });
  const run = async (s: (typeof specs)[number]): Promise<GeneratedOrder> => {
    const { orderId } = await admin.orders.place.mutate({
      commandId: randomUUID(),
      customerId: `c-${s.i % 7}`,
      region: s.region,
      currency: s.currency,
      items: s.items,
      at: s.placedAt,
    });
    let version = 1;
    if (s.fate === 'cancelled') {
      version = (await admin.orders.cancel.mutate({ orderId, reason: 'test' })).version;
    }
    if (s.fate === 'completed' || s.fate === 'refunded') {
      version = (await admin.orders.complete.mutate({ orderId, at: s.completedAt })).version;
    }
    if (s.fate === 'refunded') {
      version = (await admin.orders.refund.mutate({ orderId, reason: 'test', at: s.completedAt }))
        .version;
    }
    const completedAt = s.fate === 'completed' || s.fate === 'refunded' ? s.completedAt : null;
    return {
      orderId,
      currency: s.currency,
      region: s.region,
      items: s.items,
      fate: s.fate,
      completedAt,
      version,
    };
  };
  const out: GeneratedOrder[] = [];
  for (let i = 0; i < specs.length; i += 10)
    out.push(...(await Promise.all(specs.slice(i, i + 10).map(run))));
  return out;
}

/** The monthly report computed from the generated orders with plain integer arithmetic. */
export function expectedReport(orders: GeneratedOrder[], currency: string, region?: string) {
  const counted = orders.filter(
    (o) =>
      o.fate === 'completed' &&
      o.currency === currency &&
      (region === undefined || o.region === region),
  );
  const products = new Map<
    string,
    { orders: Set<string>; totalQuantity: number; totalSalesMinor: number }
  >();
  for (const o of counted) {
    for (const item of o.items) {
      const p = products.get(item.productId) ?? {
        orders: new Set(),
        totalQuantity: 0,
        totalSalesMinor: 0,
      };
      p.orders.add(o.orderId);
      p.totalQuantity += item.quantity;
      p.totalSalesMinor += item.quantity * item.unitPriceMinor;
      products.set(item.productId, p);
    }
  }
  return {
    totals: {
      orderCount: counted.length,
      totalQuantity: counted.reduce((s, o) => s + o.items.reduce((t, i) => t + i.quantity, 0), 0),
      totalSalesMinor: counted.reduce(
        (s, o) => s + o.items.reduce((t, i) => t + i.quantity * i.unitPriceMinor, 0),
        0,
      ),
    },
    products: [...products.entries()]
      .map(([productId, p]) => ({
        productId,
        orderCount: p.orders.size,
        totalQuantity: p.totalQuantity,
        totalSalesMinor: p.totalSalesMinor,
        avgUnitPriceMinor: Math.round(p.totalSalesMinor / p.totalQuantity),
      }))
      .sort(
        (a, b) => b.totalSalesMinor - a.totalSalesMinor || (a.productId < b.productId ? -1 : 1),
      ),
  };
}
