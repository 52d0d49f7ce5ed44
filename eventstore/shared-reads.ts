import type { GlobalCheckpoint, ReadAllResult } from './types';

/** What a shared reader needs of the store: its late-commit-safe page of the global order. */
export interface AllReader {
  readAll(after: GlobalCheckpoint, limit: number): Promise<ReadAllResult>;
}

export interface SharingRule {
  /** How long after its read began a page may serve another reader. */
  reuseMs: number;
  /** How many commits the process has been notified of (AppendListener.sequence). */
  notified: () => number;
}

/**
 * One `readAll` for every reader of a process that asks for the same page at about the
 * same moment. Each commit wakes every webhook subscriber of a process, and the live ones
 * stand at the same checkpoint: without this, ten subscriptions meant ten identical reads
 * of the event store per commit, on the database the command path writes to.
 *
 * A page serves another reader only while no commit was notified since its read began, so
 * a reader woken by a commit never gets a page read before it; a commit not notified yet
 * wakes the reader when its notification comes. `reuseMs` bounds the rest.
 */
export function sharedReads(store: AllReader, rule: SharingRule): AllReader {
  const pages = new Map<string, { startedAt: number; page: Promise<ReadAllResult> }>();
  const forget = (now: number) => {
    for (const [key, entry] of pages) {
      if (now - entry.startedAt >= rule.reuseMs) pages.delete(key);
    }
  };
  return {
    readAll(after, limit) {
      const now = performance.now();
      forget(now);
      const key = `${rule.notified()}:${after.transactionId}:${after.position}:${limit}`;
      const shared = pages.get(key);
      if (shared) return shared.page;
      const page = store.readAll(after, limit);
      // A failed read is not shared beyond the readers already waiting on it.
      page.catch(() => {
        if (pages.get(key)?.page === page) pages.delete(key);
      });
      pages.set(key, { startedAt: now, page });
      return page;
    },
  };
}
