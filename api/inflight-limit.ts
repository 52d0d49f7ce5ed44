/**
 * At most `limit` calls in flight per key (a token's fingerprint): one caller cannot take
 * the whole API, whatever it sends, and its calls in a batch count one each.
 */
export class InflightLimit {
  private readonly inflight = new Map<string, number>();
  constructor(readonly limit: number) {}

  /** Takes a place for `key`, or false when it already has `limit` calls in flight. */
  tryTake(key: string): boolean {
    const now = this.inflight.get(key) ?? 0;
    if (now >= this.limit) return false;
    this.inflight.set(key, now + 1);
    return true;
  }

  release(key: string): void {
    const now = (this.inflight.get(key) ?? 1) - 1;
    if (now <= 0) this.inflight.delete(key);
    else this.inflight.set(key, now);
  }
}

/** What a caller refused for load is told to wait before trying again (Retry-After). */
export const RETRY_AFTER_SECONDS = 1;
