// Which command partition an order belongs to: every command of one order goes through
// the same partition, so its commands are decided one after another, in one place.

/** FNV-1a, 32 bits: stable across processes, versions and machines (no seeds). */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** The partition (0 … partitions-1) of an order. */
export function partitionOf(orderId: string, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new RangeError(`partitions must be a positive integer, got ${partitions}`);
  }
  return fnv1a(orderId) % partitions;
}
