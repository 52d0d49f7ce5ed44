import { describe, expect, it } from 'vitest';
import { type KeyTableFreshness, keyState, keyTableCurrent } from '../domain/api-keys';

// When an API process may accept managed keys, and what state a key is in. Pure: no servers.

const NOW = Date.parse('2026-01-01T12:00:00.000Z');
const LIMITS = { maxUnappliedMs: 1_000, maxStaleMs: 30_000 };
const table = (over: Partial<KeyTableFreshness> = {}): KeyTableFreshness => ({
  listening: true,
  loadedAt: NOW - 60_000,
  unappliedSince: null,
  ...over,
});

describe('keyTableCurrent', () => {
  it('given LISTEN up and no change pending, when the last load is old, then keys are accepted', () => {
    expect(keyTableCurrent(table(), NOW, LIMITS)).toEqual({ current: true });
  });

  it('given a change just notified, when it is not loaded yet, then keys are accepted for the grace', () => {
    expect(keyTableCurrent(table({ unappliedSince: NOW - 1_000 }), NOW, LIMITS).current).toBe(true);
  });

  it('given a change notified over a second ago, when it is still not loaded, then every key is refused', () => {
    expect(keyTableCurrent(table({ unappliedSince: NOW - 1_001 }), NOW, LIMITS)).toEqual({
      current: false,
      reason: 'change not applied',
    });
  });

  it('given no LISTEN, when the poll loaded within 30 s, then keys are accepted; later, refused', () => {
    expect(
      keyTableCurrent(table({ listening: false, loadedAt: NOW - 5_000 }), NOW, LIMITS).current,
    ).toBe(true);
    expect(
      keyTableCurrent(table({ listening: false, loadedAt: NOW - 30_001 }), NOW, LIMITS),
    ).toEqual({
      current: false,
      reason: 'stale',
    });
  });

  it('given a process that never loaded and does not listen, then keys are refused', () => {
    const never = table({ listening: false, loadedAt: Number.NEGATIVE_INFINITY });
    expect(keyTableCurrent(never, NOW, LIMITS).current).toBe(false);
  });
});

describe('keyState', () => {
  const at = (ms: number) => new Date(NOW + ms).toISOString();
  it('given no expiry and no revocation, then active', () => {
    expect(keyState({ revokedAt: null, expiresAt: null }, NOW)).toBe('active');
  });
  it('given an expiry, then active before it and expired from it on', () => {
    expect(keyState({ revokedAt: null, expiresAt: at(1) }, NOW)).toBe('active');
    expect(keyState({ revokedAt: null, expiresAt: at(0) }, NOW)).toBe('expired');
  });
  it('given a revoked key, then revoked, expired or not', () => {
    expect(keyState({ revokedAt: at(-5), expiresAt: at(-1) }, NOW)).toBe('revoked');
    expect(keyState({ revokedAt: at(-5), expiresAt: null }, NOW)).toBe('revoked');
  });
});
