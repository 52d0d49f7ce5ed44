import type { TestApp } from './app';
import { completeOrderIn } from './completed-orders';

/**
 * The workspace test's months: May and June 2016 in EUR (p-web-a both months, p-web-b in
 * June), an order completed in June and refunded in July, one in JPY; all projected before
 * it returns the June p-web-a orders (what the drill-down lists).
 */
export async function seedWorkspaceMonths(app: TestApp): Promise<string[]> {
  const admin = app.client('admin');
  const drillOrders: string[] = [];
  let lastPosition = 0;
  await completeOrderIn(admin, '2016-05', {
    productId: 'p-web-a',
    quantity: 1,
    unitPriceMinor: 1000,
  });
  for (const [productId, quantity, unitPriceMinor] of [
    ['p-web-a', 2, 1500],
    ['p-web-a', 1, 1500],
    ['p-web-b', 3, 250],
  ] as const) {
    const o = await completeOrderIn(admin, '2016-06', { productId, quantity, unitPriceMinor });
    if (productId === 'p-web-a') drillOrders.push(o.orderId);
    lastPosition = o.position;
  }
  // Completed in June, refunded in July: out of June's restated report, in its booked one.
  const refunded = await completeOrderIn(admin, '2016-06', {
    productId: 'p-web-r',
    quantity: 1,
    unitPriceMinor: 700,
  });
  await admin.orders.refund.mutate({
    orderId: refunded.orderId,
    reason: 'returned in July',
    at: '2016-07-02T09:00:00.000Z',
  });
  const yen = await completeOrderIn(
    admin,
    '2016-06',
    { productId: 'p-web-yen', quantity: 3, unitPriceMinor: 500 },
    { currency: 'JPY' },
  );
  lastPosition = yen.position;
  // Everything projected before the browser looks.
  await app.client('reader').reports.monthly.query({
    month: '2016-06',
    currency: 'JPY',
    minPosition: lastPosition,
  });
  return drillOrders;
}
