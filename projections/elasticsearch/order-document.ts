import type { Order, OrderStatus } from '../../domain';

/** An order as stored in Elasticsearch: flat, explicit nulls, and the fields reports need. */
export interface OrderDocument {
  orderId: string;
  customerId: string;
  region: string;
  currency: string;
  status: OrderStatus;
  items: { productId: string; quantity: number; unitPriceMinor: number; lineTotalMinor: number }[];
  productIds: string[];
  totalQuantity: number;
  totalMinor: number;
  placedAt: string;
  completedAt: string | null;
  cancelledAt: string | null;
  refundedAt: string | null;
  reportMonth: string | null;
  /** `YYYY-MM` of the refund in the report time zone: the booked view's refund month. */
  refundMonth: string | null;
  version: number;
}

const monthFormats = new Map<string, Intl.DateTimeFormat>();

function monthFormat(timeZone: string): Intl.DateTimeFormat {
  let format = monthFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit' });
    monthFormats.set(timeZone, format);
  }
  return format;
}

/** `YYYY-MM` of an instant as seen on a wall calendar in `timeZone` (IANA). */
export function reportMonthOf(isoInstant: string, timeZone: string): string {
  const instant = new Date(isoInstant);
  if (Number.isNaN(instant.getTime())) throw new RangeError(`not an instant: ${isoInstant}`);
  const parts = monthFormat(timeZone).formatToParts(instant);
  const year = parts.find((p) => p.type === 'year')?.value;
  const month = parts.find((p) => p.type === 'month')?.value;
  if (!year || !month) throw new RangeError(`cannot format ${isoInstant} in ${timeZone}`);
  return `${year.padStart(4, '0')}-${month}`;
}

export function toOrderDocument(
  order: Order,
  version: number,
  reportTimeZone: string,
): OrderDocument {
  return {
    orderId: order.orderId,
    customerId: order.customerId,
    region: order.region,
    currency: order.currency,
    status: order.status,
    items: order.items.map((line) => ({
      productId: line.productId,
      quantity: line.quantity,
      unitPriceMinor: line.unitPriceMinor,
      lineTotalMinor: line.lineTotalMinor,
    })),
    productIds: [...new Set(order.items.map((line) => line.productId))].sort(),
    totalQuantity: order.totalQuantity,
    totalMinor: order.totalMinor,
    placedAt: order.placedAt,
    completedAt: order.completedAt ?? null,
    cancelledAt: order.cancelledAt ?? null,
    refundedAt: order.refundedAt ?? null,
    // A refund keeps the month: reports tell refunded orders apart by their status.
    reportMonth: order.completedAt ? reportMonthOf(order.completedAt, reportTimeZone) : null,
    refundMonth: order.refundedAt ? reportMonthOf(order.refundedAt, reportTimeZone) : null,
    version,
  };
}
