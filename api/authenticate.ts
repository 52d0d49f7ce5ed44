import { looksLikeJwt, type Refusal } from '../domain/oidc-claims';
import type { ApiKeyTable } from './api-keys';
import { bearerToken, type Principal, staticTokenPrincipal, type TokenTable } from './auth';
import type { OidcVerifier } from './oidc';

/** Who called, or which check the credential failed (never the credential itself). */
export type Credential = { principal: Principal } | { refusal: Refusal };

/**
 * One kind of credential: its principal or refusal when the token is of its kind,
 * undefined to let the next kind look at it.
 */
export type CredentialCheck = (
  token: string,
) => Credential | undefined | Promise<Credential | undefined>;

export type Authenticate = (authorization: string | undefined) => Promise<Credential>;

export interface AuthenticationSources {
  tokens: TokenTable;
  /** Checks after the static tokens and before OIDC (managed API keys). */
  more?: readonly CredentialCheck[];
  oidc?: OidcVerifier;
}

const MISSING: Credential = {
  refusal: {
    reason: 'MissingToken',
    status: 401,
    message: 'missing token: send Authorization: Bearer <token>',
  },
};

const UNKNOWN: Credential = {
  refusal: {
    reason: 'UnknownToken',
    status: 401,
    message: 'unknown token: send a token of API_TOKENS or one the identity provider issued',
  },
};

const staticTokens =
  (table: TokenTable): CredentialCheck =>
  (token) => {
    const principal = staticTokenPrincipal(table, token);
    return principal ? { principal } : undefined;
  };

/** Managed API keys (`ork_…`), looked up in the process's in-memory table. */
export const apiKeyCheck =
  (keys: Pick<ApiKeyTable, 'authenticate'>): CredentialCheck =>
  (token) => {
    const principal = keys.authenticate(`Bearer ${token}`);
    return principal ? { principal } : undefined;
  };

/** Only what has a JWT's shape goes to the provider's keys: anything else is not its kind. */
const oidcTokens =
  (verifier: OidcVerifier): CredentialCheck =>
  (token) =>
    looksLikeJwt(token) ? verifier.verify(token) : undefined;

/**
 * Every request's credential, checked in one order: static tokens (constant-time digests),
 * then the checks in `more`, then the identity provider's JWTs. The first check that
 * recognises the token decides; a token none recognises is unknown.
 */
export function createAuthentication(sources: AuthenticationSources): Authenticate {
  const checks: CredentialCheck[] = [
    staticTokens(sources.tokens),
    ...(sources.more ?? []),
    ...(sources.oidc ? [oidcTokens(sources.oidc)] : []),
  ];
  return async (authorization) => {
    const token = bearerToken(authorization);
    if (!token) return MISSING;
    for (const check of checks) {
      const outcome = await check(token);
      if (outcome) return outcome;
    }
    return UNKNOWN;
  };
}

/** A request's credential as the API context holds it. */
export async function credentialOf(
  authenticate: Authenticate,
  authorization: string | undefined,
): Promise<{ principal: Principal | null; refusal?: Refusal }> {
  const credential = await authenticate(authorization);
  return 'principal' in credential
    ? { principal: credential.principal }
    : { principal: null, refusal: credential.refusal };
}
