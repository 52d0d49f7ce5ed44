import type { OrdersClient } from '../../api/client';

export interface CompletedOrder {
  orderId: string;
  productId: string;
  quantity: number;
  unitPriceMinor: number;
  /** The command's position: pass as minPosition to read it back. */
  position: number;
}

/** Places and completes one single-line order, dated inside `month` (admin back-dating). */
export async function completeOrderIn(
  admin: OrdersClient,
  month: string,
  line: { productId: string; quantity: number; unitPriceMinor: number },
  opts: { currency?: string; region?: string; customerId?: string; day?: number } = {},
): Promise<CompletedOrder> {
  const day = String(opts.day ?? 10).padStart(2, '0');
  const placed = await admin.orders.place.mutate({
    customerId: opts.customerId ?? 'c-web',
    region: opts.region ?? 'eu',
    currency: opts.currency ?? 'EUR',
    items: [line],
    at: `${month}-${day}T08:00:00.000Z`,
  });
  const done = await admin.orders.complete.mutate({
    orderId: placed.orderId,
    at: `${month}-${day}T12:00:00.000Z`,
  });
  return { orderId: placed.orderId, ...line, position: done.position };
}
