// The rules of a partition's queue in an API process (pure): which waiting commands go
// together in the next update.

/** A command waiting to be sent: its size in the update, and whether its caller still waits. */
export interface Waiting {
  bytes: number;
  /** Its caller was answered already (its deadline passed): sending it would be wasted. */
  gone: boolean;
}

export interface UpdateCaps {
  maxCommands: number;
  /** Bytes of the update's argument at most, the brackets included. */
  maxBytes: number;
}

/** Bytes an array adds around its commands (`[` and `]`; each command counts its comma). */
const ARRAY_BYTES = 1;

/**
 * The next update of a partition: the oldest waiting commands, in order, as many as fit
 * both caps; the first one always goes (alone if it must), so nothing waits forever. A
 * command whose caller has gone is dropped wherever it stands. The rest keep their order.
 */
export function takeUpdate<T extends Waiting>(
  queue: readonly T[],
  caps: UpdateCaps,
): { update: T[]; rest: T[]; dropped: T[] } {
  const update: T[] = [];
  const rest: T[] = [];
  const dropped: T[] = [];
  let bytes = ARRAY_BYTES;
  let full = false;
  for (const w of queue) {
    if (w.gone) {
      dropped.push(w);
      continue;
    }
    const fits =
      update.length === 0 || (update.length < caps.maxCommands && bytes + w.bytes <= caps.maxBytes);
    // Never one that does not fit and then a later smaller one: callers are served in order.
    if (!full && fits) {
      update.push(w);
      bytes += w.bytes;
    } else {
      full = true;
      rest.push(w);
    }
  }
  return { update, rest, dropped };
}
