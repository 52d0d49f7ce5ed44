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

export interface CompleteOrder {
  type: 'CompleteOrder';
  orderId: string;
  at: string;
}

export interface CancelOrder {
  type: 'CancelOrder';
  orderId: string;
  reason: string;
  at: string;
}

export interface RefundOrder {
  type: 'RefundOrder';
  orderId: string;
  reason: string;
  at: string;
}

export type OrderCommand = PlaceOrder | CompleteOrder | CancelOrder | RefundOrder;
export type OrderCommandType = OrderCommand['type'];
