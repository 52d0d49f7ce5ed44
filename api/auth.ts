import { createHash, randomBytes } from 'node:crypto';

export const ROLES = ['reader', 'writer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  role: Role;
  /** Stored as the events' actor: the role and a fingerprint of the token, never the token. */
  actor: string;
}

export type TokenTable = ReadonlyMap<string, Role>;

/** Each role includes the ones before it: admin > writer > reader. */
export function hasRole(principal: Principal, needed: Role): boolean {
  return ROLES.indexOf(principal.role) >= ROLES.indexOf(needed);
}

/** Parses `role:token` pairs separated by commas, as in API_TOKENS. */
export function parseTokens(spec: string): TokenTable {
  const table = new Map<string, Role>();
  for (const pair of spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const sep = pair.indexOf(':');
    const role = pair.slice(0, sep);
    const token = pair.slice(sep + 1);
    if (sep < 1 || !token) throw new Error(`API_TOKENS: "${pair.slice(0, 10)}…" is not role:token`);
    if (!(ROLES as readonly string[]).includes(role)) {
      throw new Error(`API_TOKENS: unknown role "${role}" (one of ${ROLES.join(', ')})`);
    }
    if (token.length < 16)
      throw new Error(`API_TOKENS: the ${role} token is shorter than 16 characters`);
    table.set(token, role as Role);
  }
  if (table.size === 0) throw new Error('API_TOKENS is empty');
  return table;
}

/** Fresh random tokens, one per role, for a local run without API_TOKENS. */
export function generateDevTokens(): { spec: string; tokens: Record<Role, string> } {
  const tokens = Object.fromEntries(
    ROLES.map((r) => [r, randomBytes(18).toString('base64url')]),
  ) as Record<Role, string>;
  return { spec: ROLES.map((r) => `${r}:${tokens[r]}`).join(','), tokens };
}

export function authenticate(
  table: TokenTable,
  authorization: string | undefined,
): Principal | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  const token = match?.[1];
  if (!token) return null;
  const role = table.get(token);
  if (!role) return null;
  const fingerprint = createHash('sha256').update(token).digest('hex').slice(0, 8);
  return { role, actor: `${role}:${fingerprint}` };
}
