import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import pg from 'pg';
import { keyTableCurrent } from '../domain/api-keys';
import { API_KEYS_CHANNEL, ApiKeys, type UsableKey } from '../eventstore';
import { logger } from '../runtime/logger';
import { authenticate, type Principal, type TokenTable } from './auth';

/** Keys say what they are: a secret scanner (or a person) can tell one from any other string. */
export const API_KEY_PREFIX = 'ork_';

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

/** A fresh key (256 random bits) and the digest stored in its place. */
export function newApiKey(): { key: string; digest: Buffer } {
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, digest: sha256(key) };
}

export interface ApiKeyTableOptions {
  /** Safety net under LISTEN: the table is reloaded this often anyway. */
  pollMs?: number;
  /** How often the keys' "last used" times are written, all in one statement. */
  lastUsedFlushMs?: number;
  /** Without LISTEN and without a successful load for this long, keys are refused. */
  maxStaleMs?: number;
  /** A change notified but not loaded for this long: keys are refused until it is. */
  maxUnappliedMs?: number;
}

const RECONNECT_MS = 1_000;

/**
 * Every usable API key of this process, in memory, so a request is authenticated without a
 * database round trip. PostgreSQL notifies each change (a trigger on api_keys): every
 * process reloads within milliseconds, and a poll reloads anyway in case a notification is
 * lost. Expiry is checked on each request. If the table cannot be kept current (a change
 * notified but not loaded within `maxUnappliedMs`, or neither LISTEN nor a load for
 * `maxStaleMs`), keys are refused rather than a revoked one let through; static tokens
 * still work.
 */
export class ApiKeyTable {
  private byDigest = new Map<string, UsableKey>();
  private readonly store: ApiKeys;
  private readonly pollMs: number;
  private readonly flushMs: number;
  private readonly maxStaleMs: number;
  private readonly maxUnappliedMs: number;
  private listener: pg.Client | undefined;
  private listening = false;
  private loadedAt = Number.NEGATIVE_INFINITY;
  /** When a change was notified that no finished load has applied yet. */
  private unappliedSince: number | null = null;
  private loading: Promise<void> | undefined;
  private again = false;
  private lastUsed = new Map<string, Date>();
  private timers: NodeJS.Timeout[] = [];
  private closed = false;
  private warnedStale = false;

  constructor(
    pool: pg.Pool,
    private readonly connectionString: string,
    options: ApiKeyTableOptions = {},
  ) {
    this.store = new ApiKeys(pool);
    this.pollMs = options.pollMs ?? 5_000;
    this.flushMs = options.lastUsedFlushMs ?? 10_000;
    this.maxStaleMs = options.maxStaleMs ?? 30_000;
    this.maxUnappliedMs = options.maxUnappliedMs ?? 1_000;
  }

  /** Listens, loads, and keeps polling and writing "last used" until `close`. */
  start(): void {
    void this.listen();
    void this.refresh();
    const poll = setInterval(() => void this.refresh(), this.pollMs);
    const flush = setInterval(() => void this.flushLastUsed(), this.flushMs);
    poll.unref();
    flush.unref();
    this.timers.push(poll, flush);
  }

  /** The key's principal (actor `key:<id>`), or null: not a key, unknown, revoked or expired. */
  authenticate(authorization: string | undefined): Principal | null {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    const key = match?.[1];
    if (!key?.startsWith(API_KEY_PREFIX)) return null;
    const now = Date.now();
    if (!this.current(now)) return null;
    const digest = sha256(key);
    // A map lookup by digest: its timing can only tell about the digest of a 256-bit secret.
    const entry = this.byDigest.get(digest.toString('hex'));
    if (!entry || !timingSafeEqual(entry.digest, digest)) return null;
    if (entry.expiresAt !== null && entry.expiresAt <= now) return null;
    this.lastUsed.set(entry.id, new Date(now));
    return { role: entry.role, actor: `key:${entry.id}` };
  }

  /** Loads the table now (after this process changed a key); resolves once it is loaded. */
  refresh(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = this.loadUntilCurrent().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.loading;
    await this.flushLastUsed();
    const listener = this.listener;
    this.listener = undefined;
    this.listening = false;
    await listener?.end().catch(() => undefined);
  }

  private current(now: number): boolean {
    const { current, reason } = keyTableCurrent(
      { listening: this.listening, loadedAt: this.loadedAt, unappliedSince: this.unappliedSince },
      now,
      { maxUnappliedMs: this.maxUnappliedMs, maxStaleMs: this.maxStaleMs },
    );
    if (!current && !this.warnedStale) {
      this.warnedStale = true;
      logger.warn({ reason }, 'API key table not current: keys refused until it is');
    }
    return current;
  }

  private async loadUntilCurrent(): Promise<void> {
    do {
      this.again = false;
      const started = Date.now();
      const noticed = this.unappliedSince;
      try {
        const keys = await this.store.usable();
        this.byDigest = new Map(keys.map((k) => [k.digest.toString('hex'), k]));
        this.loadedAt = started;
        // A change notified while this load ran may not be in it: `again` loads once more.
        if (this.unappliedSince === noticed && !this.again) this.unappliedSince = null;
        this.warnedStale = false;
      } catch (err) {
        logger.warn({ err }, 'API keys could not be loaded; retrying');
        if (this.closed) return;
        await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
        this.again = !this.closed;
      }
    } while (this.again && !this.closed);
  }

  private changed(): void {
    this.unappliedSince ??= Date.now();
    void this.refresh();
  }

  private async listen(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({
      connectionString: this.connectionString,
      application_name: 'order-reporting-api-keys',
    });
    const lost = () => {
      if (this.listener !== client) return;
      this.listener = undefined;
      this.listening = false;
      if (!this.closed) setTimeout(() => void this.listen(), RECONNECT_MS);
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', () => this.changed());
    try {
      await client.connect();
      await client.query(`listen ${API_KEYS_CHANNEL}`);
      if (this.closed) {
        await client.end();
        return;
      }
      this.listener = client;
      this.listening = true;
      // Whatever changed while no one listened.
      this.changed();
    } catch (err) {
      logger.warn({ err }, 'cannot listen for API key changes; polling meanwhile');
      await client.end().catch(() => undefined);
      if (!this.closed) setTimeout(() => void this.listen(), RECONNECT_MS);
    }
  }

  private async flushLastUsed(): Promise<void> {
    if (this.lastUsed.size === 0) return;
    const batch = this.lastUsed;
    this.lastUsed = new Map();
    try {
      await this.store.recordUse(batch);
    } catch (err) {
      logger.warn({ err }, 'API keys: last-used times not written; kept for the next write');
      for (const [id, at] of batch) {
        const later = this.lastUsed.get(id);
        if (!later || later < at) this.lastUsed.set(id, at);
      }
    }
  }
}

/**
 * A static token (API_TOKENS) or a managed key. Kept synchronous: both are looked up in
 * memory, so the routes authenticate before reading a body.
 */
export function authenticateCaller(
  tokens: TokenTable,
  keys: ApiKeyTable | undefined,
  authorization: string | undefined,
): Principal | null {
  return authenticate(tokens, authorization) ?? keys?.authenticate(authorization) ?? null;
}
