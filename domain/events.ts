import type { OrderLine } from './order';

export interface OrderPlacedV1 {
  orderId: string;
  customerId: string;
  region: string;
  currency: string;
  items: OrderLine[];
  totalQuantity: number;
  totalMinor: number;
  placedAt: string;
}

export interface OrderCompletedV1 {
  orderId: string;
  completedAt: string;
}

export interface OrderCancelledV1 {
  orderId: string;
  reason: string;
  cancelledAt: string;
}

export interface OrderRefundedV1 {
  orderId: string;
  reason: string;
  amountMinor: number;
  refundedAt: string;
}

/** Events in their current schema version, as the domain sees them. */
export type OrderEvent =
  | { type: 'OrderPlaced'; data: OrderPlacedV1 }
  | { type: 'OrderCompleted'; data: OrderCompletedV1 }
  | { type: 'OrderCancelled'; data: OrderCancelledV1 }
  | { type: 'OrderRefunded'; data: OrderRefundedV1 };

export type OrderEventType = OrderEvent['type'];

/** The schema version written for each event type today. */
export const CURRENT_SCHEMA_VERSION: Record<OrderEventType, number> = {
  OrderPlaced: 1,
  OrderCompleted: 1,
  OrderCancelled: 1,
  OrderRefunded: 1,
};
