// Stream naming: a rule the write side (append) and the read side (projectors) share.

const ORDER_STREAM_PREFIX = 'order-';

export const orderStreamId = (orderId: string): string => `${ORDER_STREAM_PREFIX}${orderId}`;

/** The order id of an order stream; null for streams of other kinds. */
export function orderIdOfStream(streamId: string): string | null {
  return streamId.startsWith(ORDER_STREAM_PREFIX) && streamId.length > ORDER_STREAM_PREFIX.length
    ? streamId.slice(ORDER_STREAM_PREFIX.length)
    : null;
}
