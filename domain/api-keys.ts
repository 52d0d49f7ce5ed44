// When a managed API key may be used: the rules each API process applies per request, pure
// so they are tested without servers (test/api-key-rules.test.ts).

export type KeyState = 'active' | 'expired' | 'revoked';

/** A key's state at `now` (epoch ms): revoked wins over expired. */
export function keyState(
  key: { revokedAt: string | null; expiresAt: string | null },
  now: number,
): KeyState {
  if (key.revokedAt) return 'revoked';
  if (key.expiresAt && Date.parse(key.expiresAt) <= now) return 'expired';
  return 'active';
}

/** What a process knows of how current its in-memory table of keys is. */
export interface KeyTableFreshness {
  /** Its LISTEN connection is up: a change would be notified. */
  listening: boolean;
  /** When the last successful load started (epoch ms); -Infinity: never loaded. */
  loadedAt: number;
  /** When a change was notified that no finished load has applied; null: none. */
  unappliedSince: number | null;
}

export interface KeyTableLimits {
  /** A notified change not applied for longer than this: the table is not current. */
  maxUnappliedMs: number;
  /** Without LISTEN, a table loaded longer ago than this is not current. */
  maxStaleMs: number;
}

/**
 * Whether keys may be accepted from the table at `now`. Not current, every key is refused
 * (a revoked one might be among them); a change just notified leaves a short grace, so a
 * key created or revoked elsewhere does not refuse all the others while this one reloads.
 */
export function keyTableCurrent(
  table: KeyTableFreshness,
  now: number,
  limits: KeyTableLimits,
): { current: boolean; reason?: 'change not applied' | 'stale' } {
  if (table.unappliedSince !== null && now - table.unappliedSince > limits.maxUnappliedMs) {
    return { current: false, reason: 'change not applied' };
  }
  if (!table.listening && now - table.loadedAt > limits.maxStaleMs) {
    return { current: false, reason: 'stale' };
  }
  return { current: true };
}
