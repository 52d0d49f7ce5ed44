export interface OrderItemInput {
  productId: string;
  quantity: number;
  unitPriceMinor: number;
}

/** `at` is when the command takes effect (UTC ISO-8601): server time, or an admin import. */
export interface PlaceOrder {
  type: 'PlaceOrder';
  orderId: string;
  customerId: string;
  region: string;
  currency: string;
  items: OrderItemInput[];
  at: string;
}

/**
 * Set when the caller sent no `at`, so `at` is the server's clock. It then yields to an order
 * whose last change is later (one imported with a future date, or a server clock behind):
 * the command takes effect at that last change instead of being refused for a time the
 * caller never chose. Absent (commands queued before it existed): `at` is held to strictly.
 */
interface ServerTimed {
  atFromServer?: boolean;
}

export interface CompleteOrder extends ServerTimed {
  type: 'CompleteOrder';
  orderId: string;
  at: string;
}

export interface CancelOrder extends ServerTimed {
  type: 'CancelOrder';
  orderId: string;
  reason: string;
  at: string;
}

export interface RefundOrder extends ServerTimed {
  type: 'RefundOrder';
  orderId: string;
  reason: string;
  at: string;
}

export type OrderCommand = PlaceOrder | CompleteOrder | CancelOrder | RefundOrder;
export type OrderCommandType = OrderCommand['type'];
