import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ROLES, type Role } from '../domain/roles';

export { ROLES, type Role };

export interface Principal {
  role: Role;
  /**
   * Stored as the events' actor, never the token: for a static token its role and a
   * fingerprint of it, for a person `oidc:<sub>` (the provider's subject).
   */
  actor: string;
}

interface TokenEntry {
  /** sha256 of the token: equal length for every token, so the comparison can be constant-time. */
  digest: Buffer;
  role: Role;
}

/** The configured tokens, kept only as digests. */
export interface TokenTable {
  readonly entries: readonly TokenEntry[];
}

/** Each role includes the ones before it: admin > writer > reader. */
export function hasRole(principal: Principal, needed: Role): boolean {
  return ROLES.indexOf(principal.role) >= ROLES.indexOf(needed);
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * Parses `role:token` pairs separated by commas, as in API_TOKENS. A refusal names the
 * entry by its number and never quotes it: a malformed entry may be a token in the wrong place.
 */
export function parseTokens(spec: string): TokenTable {
  const pairs = spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const entries: TokenEntry[] = [];
  const seen = new Map<string, number>();
  pairs.forEach((pair, index) => {
    const where = `API_TOKENS entry ${index + 1} of ${pairs.length}`;
    const sep = pair.indexOf(':');
    const role = pair.slice(0, sep);
    const token = pair.slice(sep + 1);
    if (sep < 1 || !token) throw new Error(`${where} is not role:token`);
    if (!(ROLES as readonly string[]).includes(role)) {
      throw new Error(`${where}: the role is not one of ${ROLES.join(', ')}`);
    }
    if (token.length < 16) throw new Error(`${where}: the token is shorter than 16 characters`);
    const digest = sha256(token);
    const key = digest.toString('hex');
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      throw new Error(`${where}: the same token as entry ${earlier}; give each entry its own`);
    }
    seen.set(key, index + 1);
    entries.push({ digest, role: role as Role });
  });
  if (entries.length === 0) throw new Error('API_TOKENS is empty');
  return { entries };
}

/** Fresh random tokens, one per role, for a local run without API_TOKENS. */
export function generateDevTokens(): { spec: string; tokens: Record<Role, string> } {
  const tokens = Object.fromEntries(
    ROLES.map((r) => [r, randomBytes(18).toString('base64url')]),
  ) as Record<Role, string>;
  return { spec: ROLES.map((r) => `${r}:${tokens[r]}`).join(','), tokens };
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
}

/** The static token's principal (API_TOKENS), or null. */
export function authenticate(
  table: TokenTable,
  authorization: string | undefined,
): Principal | null {
  const token = bearerToken(authorization);
  if (!token) return null;
  return staticTokenPrincipal(table, token);
}

export function staticTokenPrincipal(table: TokenTable, token: string): Principal | null {
  const digest = sha256(token);
  // Every entry is compared, with no early exit, so the time taken says nothing about
  // which token (or how much of one) matched.
  let role: Role | undefined;
  for (const entry of table.entries) {
    if (timingSafeEqual(entry.digest, digest)) role = entry.role;
  }
  if (!role) return null;
  return { role, actor: `${role}:${digest.toString('hex').slice(0, 8)}` };
}
