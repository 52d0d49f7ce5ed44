export type OrderStatus = 'placed' | 'completed' | 'cancelled' | 'refunded';

export interface OrderLine {
  productId: string;
  quantity: number;
  unitPriceMinor: number;
  lineTotalMinor: number;
}

export interface Order {
  orderId: string;
  status: OrderStatus;
  customerId: string;
  region: string;
  currency: string;
  items: OrderLine[];
  totalQuantity: number;
  totalMinor: number;
  placedAt: string;
  completedAt?: string;
  cancelledAt?: string;
  cancelReason?: string;
  refundedAt?: string;
  refundReason?: string;
}

/** The aggregate's state: nothing yet, or an order. */
export type OrderState = { status: 'none' } | Order;

export const initialState: OrderState = { status: 'none' };

export function lineTotal(quantity: number, unitPriceMinor: number): number {
  return quantity * unitPriceMinor;
}
