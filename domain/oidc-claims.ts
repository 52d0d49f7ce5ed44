// How a verified OIDC token's claims become a role, and how a failed check is named: pure,
// tested without a provider (test/oidc-claims.test.ts).
import { ROLES, type Role } from './roles';

/** A group (a value of the roles claim) and the role it grants. */
export type RoleMap = ReadonlyMap<string, Role>;

/**
 * Parses OIDC_ROLE_MAP (`finance-team=reader,ops=admin`). Unset: the claim's values
 * `reader`, `writer` and `admin` are the roles themselves. A group listed twice is refused:
 * which of its roles was meant cannot be guessed.
 */
export function parseRoleMap(spec: string | undefined): RoleMap {
  if (spec === undefined || spec.trim() === '') return new Map(ROLES.map((r) => [r, r]));
  const map = new Map<string, Role>();
  const entries = spec.split(',').map((e) => e.trim());
  entries.forEach((entry, index) => {
    const where = `OIDC_ROLE_MAP entry ${index + 1} of ${entries.length}`;
    const sep = entry.lastIndexOf('=');
    const group = entry.slice(0, sep).trim();
    const role = entry.slice(sep + 1).trim();
    if (sep < 1 || !group) throw new Error(`${where} is not group=role`);
    if (!(ROLES as readonly string[]).includes(role)) {
      throw new Error(`${where}: "${role}" is not one of ${ROLES.join(', ')}`);
    }
    if (map.has(group)) throw new Error(`${where}: the group "${group}" is mapped twice`);
    map.set(group, role as Role);
  });
  return map;
}

/**
 * The value at a dotted path of the token's claims (`realm_access.roles`). A claim whose own
 * name holds the whole path (`https://example.com/roles`, as some providers name theirs)
 * is taken first.
 */
export function claimAt(claims: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  let at: unknown = claims;
  for (const key of path.split('.')) {
    // Only into objects' own claims: not into a list's `length`, nor up a prototype.
    if (at === null || typeof at !== 'object' || Array.isArray(at) || !Object.hasOwn(at, key)) {
      return undefined;
    }
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/**
 * The highest role any of the person's groups grants, or null when none does. The claim
 * may be a list (Keycloak, Entra ID) or one string (some providers send a single group
 * as a string; a space-separated list is not split: a group name may hold spaces).
 */
export function roleFromClaims(
  claims: Record<string, unknown>,
  claimPath: string,
  map: RoleMap,
): Role | null {
  const value = claimAt(claims, claimPath);
  const groups = Array.isArray(value) ? value : value === undefined ? [] : [value];
  let best = -1;
  for (const group of groups) {
    if (typeof group !== 'string') continue;
    const role = map.get(group);
    if (role) best = Math.max(best, ROLES.indexOf(role));
  }
  return best < 0 ? null : (ROLES[best] as Role);
}

/** Which check a presented credential failed: `data.reason` of the 401 (or 403, 503). */
export type RefusalReason =
  | 'MissingToken'
  | 'UnknownToken'
  | 'MalformedToken'
  | 'AlgorithmNotAllowed'
  | 'UnknownSigningKey'
  | 'BadSignature'
  | 'TokenExpired'
  | 'TokenNotYetValid'
  | 'WrongIssuer'
  | 'WrongAudience'
  | 'MissingSubject'
  | 'NoRole'
  | 'ProviderUnavailable';

export interface Refusal {
  reason: RefusalReason;
  /** 401 for a credential that is not good, 403 for a person with no role, 503 when the keys cannot be fetched. */
  status: 401 | 403 | 503;
  /** What failed and what to do; never any part of the token. */
  message: string;
}

const refusal = (reason: RefusalReason, message: string, status: Refusal['status'] = 401) => ({
  reason,
  status,
  message,
});

/**
 * The refusal for an error `jose` raised while verifying a token (its `code`, and for a
 * claim check the claim it names). Anything else is not the token's fault but ours or the
 * provider's: 503, so a caller retries instead of signing in again.
 */
export function refusalOfVerifyError(error: { code?: unknown; claim?: unknown }): Refusal {
  switch (error.code) {
    case 'ERR_JWT_EXPIRED':
      return refusal('TokenExpired', 'the token has expired: sign in again (or renew it)');
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return refusal(
        'AlgorithmNotAllowed',
        'the token is not signed with an asymmetric algorithm the provider declares (none and HS* are refused)',
      );
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return refusal(
        'UnknownSigningKey',
        "the token's signing key is not among the provider's keys (rotated away, or another provider's)",
      );
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return refusal('BadSignature', "the token's signature does not verify");
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return refusal('MalformedToken', 'the token is not a well-formed signed JWT');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      switch (error.claim) {
        case 'nbf':
          return refusal('TokenNotYetValid', 'the token is not valid yet (nbf is in the future)');
        case 'iat':
          return refusal('TokenNotYetValid', 'the token was issued in the future (iat)');
        case 'iss':
          return refusal('WrongIssuer', 'the token was issued by another issuer than OIDC_ISSUER');
        case 'aud':
          return refusal('WrongAudience', 'the token is for another audience than OIDC_AUDIENCE');
        default:
          return refusal('MalformedToken', `the token's ${String(error.claim)} claim is invalid`);
      }
    default:
      return refusal(
        'ProviderUnavailable',
        "the identity provider's keys cannot be fetched now: retry shortly",
        503,
      );
  }
}

/** A bearer value that has the shape of a JWS (three base64url parts, the last one may be empty). */
export const looksLikeJwt = (token: string): boolean =>
  /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
