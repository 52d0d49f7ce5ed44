import type pg from 'pg';

// Managed API keys (migration 006): rows hold the key's sha256 digest, never the key.

export type KeyRole = 'reader' | 'writer' | 'admin';

/** What the list shows: never the digest. */
export interface ApiKeyView {
  id: string;
  name: string;
  role: KeyRole;
  createdBy: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
  lastUsedAt: string | null;
}

/** What an API process keeps in memory to recognise a key. */
export interface UsableKey {
  id: string;
  role: KeyRole;
  digest: Buffer;
  /** Epoch milliseconds; null: never expires. */
  expiresAt: number | null;
}

export const API_KEYS_CHANNEL = 'api_keys_changed';

interface Row {
  id: string;
  name: string;
  role: KeyRole;
  created_by: string;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  revoked_by: string | null;
  last_used_at: Date | null;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

const view = (r: Row): ApiKeyView => ({
  id: r.id,
  name: r.name,
  role: r.role,
  createdBy: r.created_by,
  createdAt: r.created_at.toISOString(),
  expiresAt: iso(r.expires_at),
  revokedAt: iso(r.revoked_at),
  revokedBy: r.revoked_by,
  lastUsedAt: iso(r.last_used_at),
});

const COLUMNS =
  'id, name, role, created_by, created_at, expires_at, revoked_at, revoked_by, last_used_at';

/** The name is taken by a key that is not revoked. */
export class KeyNameTakenError extends Error {}

/** Thrown by revoke for an id that no key has. */
export class KeyNotFoundError extends Error {}

export class ApiKeys {
  constructor(private readonly pool: pg.Pool) {}

  async create(key: {
    id: string;
    name: string;
    role: KeyRole;
    digest: Buffer;
    createdBy: string;
    expiresAt: string | null;
  }): Promise<ApiKeyView> {
    try {
      const { rows } = await this.pool.query<Row>(
        `insert into api_keys (id, name, role, digest, created_by, expires_at)
         values ($1, $2, $3, $4, $5, $6) returning ${COLUMNS}`,
        [key.id, key.name, key.role, key.digest, key.createdBy, key.expiresAt],
      );
      return view(rows[0] as Row);
    } catch (err) {
      if ((err as { constraint?: string }).constraint === 'api_keys_live_name') {
        throw new KeyNameTakenError(key.name);
      }
      throw err;
    }
  }

  /** Newest first; revoked keys too (the list says when and by whom). */
  async list(): Promise<ApiKeyView[]> {
    const { rows } = await this.pool.query<Row>(
      `select ${COLUMNS} from api_keys order by created_at desc, id`,
    );
    return rows.map(view);
  }

  /** Revokes once: revoking a revoked key answers it as it was. */
  async revoke(id: string, by: string): Promise<ApiKeyView> {
    const { rows } = await this.pool.query<Row>(
      `update api_keys set revoked_at = coalesce(revoked_at, now()),
         revoked_by = coalesce(revoked_by, $2)
       where id = $1 returning ${COLUMNS}`,
      [id, by],
    );
    if (!rows[0]) throw new KeyNotFoundError(id);
    return view(rows[0]);
  }

  /** The keys that may authenticate now: not revoked, not expired. */
  async usable(): Promise<UsableKey[]> {
    const { rows } = await this.pool.query<{
      id: string;
      role: KeyRole;
      digest: Buffer;
      expires_at: Date | null;
    }>(
      `select id, role, digest, expires_at from api_keys
       where revoked_at is null and (expires_at is null or expires_at > now())`,
    );
    return rows.map((r) => ({
      id: r.id,
      role: r.role,
      digest: r.digest,
      expiresAt: r.expires_at ? r.expires_at.getTime() : null,
    }));
  }

  /** One statement for every key used since the last write; never moves a time back. */
  async recordUse(lastUsed: ReadonlyMap<string, Date>): Promise<void> {
    if (lastUsed.size === 0) return;
    await this.pool.query(
      `update api_keys k set last_used_at = greatest(k.last_used_at, u.at)
       from unnest($1::uuid[], $2::timestamptz[]) as u(id, at) where k.id = u.id`,
      [[...lastUsed.keys()], [...lastUsed.values()]],
    );
  }
}
