import { createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { Config } from '../config/env';
import {
  parseRoleMap,
  type Refusal,
  type RoleMap,
  refusalOfVerifyError,
  roleFromClaims,
} from '../domain/oidc-claims';
import { logger } from '../runtime/logger';
import type { Principal } from './auth';

/**
 * Only asymmetric signatures: a symmetric one (HS*) would verify with a key anyone can read
 * from the JWKS, and `none` with no key at all.
 */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

/** What the workspace and the verifier need from the provider's discovery document. */
export interface ProviderMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  end_session_endpoint?: string;
}

export interface OidcSettings {
  issuer: string;
  audience: string;
  rolesClaim: string;
  roleMap: RoleMap;
  /** The workspace's public client (authorization code + PKCE); unset: no sign-in button. */
  clientId?: string;
  /** Scopes the workspace asks for. */
  scopes: string;
}

export interface OidcTiming {
  /** Skew allowed on exp, nbf and iat. */
  clockToleranceSeconds?: number;
  /** Least time between two fetches of the JWKS for an unknown `kid`. */
  jwksCooldownMs?: number;
  /** A discovery or JWKS fetch longer than this fails. */
  fetchTimeoutMs?: number;
}

export function oidcSettingsOf(c: Config): OidcSettings | undefined {
  if (!c.OIDC_ISSUER || !c.OIDC_AUDIENCE) return undefined;
  return {
    issuer: c.OIDC_ISSUER,
    audience: c.OIDC_AUDIENCE,
    rolesClaim: c.OIDC_ROLES_CLAIM,
    roleMap: parseRoleMap(c.OIDC_ROLE_MAP),
    ...(c.OIDC_CLIENT_ID ? { clientId: c.OIDC_CLIENT_ID } : {}),
    scopes: c.OIDC_SCOPES,
  };
}

const RETRY_DISCOVERY_MS = 5_000;

const discoveryUrl = (issuer: string) =>
  `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;

/**
 * Verifies the provider's JWTs (access tokens) and maps them to a principal. The discovery
 * document and the keys are fetched on first use, not at start: the API serves static
 * tokens while the provider is unreachable, and JWTs as soon as it answers.
 */
export class OidcVerifier {
  private metadata: Promise<ProviderMetadata> | undefined;
  private discovered: ProviderMetadata | undefined;
  private keys: JWTVerifyGetKey | undefined;
  /** The last failed discovery: until RETRY_DISCOVERY_MS after it, calls fail at once. */
  private failed: { at: number; error: unknown } | undefined;
  private readonly clockTolerance: number;
  private readonly cooldownMs: number;
  private readonly timeoutMs: number;

  constructor(
    readonly settings: OidcSettings,
    timing: OidcTiming = {},
  ) {
    this.clockTolerance = timing.clockToleranceSeconds ?? 30;
    this.cooldownMs = timing.jwksCooldownMs ?? 30_000;
    this.timeoutMs = timing.fetchTimeoutMs ?? 5_000;
  }

  /** The discovery document once fetched (the workspace's CSP names its origins). */
  known(): ProviderMetadata | undefined {
    return this.discovered;
  }

  /** The provider's discovery document, fetched once; a failed fetch is tried again next time. */
  discover(): Promise<ProviderMetadata> {
    // A provider that does not answer would otherwise hold every person's call for the
    // whole fetch timeout: after a failure, calls are refused at once for a while.
    if (!this.metadata && this.failed && Date.now() - this.failed.at < RETRY_DISCOVERY_MS) {
      return Promise.reject(this.failed.error);
    }
    this.metadata ??= this.fetchMetadata().catch((err: unknown) => {
      this.metadata = undefined;
      this.failed = { at: Date.now(), error: err };
      // Logged once per attempt, not per refused call.
      logger.warn({ err, issuer: this.settings.issuer }, 'OIDC discovery failed');
      throw err;
    });
    return this.metadata;
  }

  private async fetchMetadata(): Promise<ProviderMetadata> {
    const url = discoveryUrl(this.settings.issuer);
    const response = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    const doc = (await response.json()) as Partial<ProviderMetadata>;
    // OpenID Connect Discovery 1.0 §4.3: the document must name the issuer it was asked for.
    if (doc.issuer !== this.settings.issuer) {
      throw new Error(
        `${url} names the issuer ${JSON.stringify(doc.issuer)}, not OIDC_ISSUER ${JSON.stringify(this.settings.issuer)}`,
      );
    }
    for (const field of ['jwks_uri', 'authorization_endpoint', 'token_endpoint'] as const) {
      if (typeof doc[field] !== 'string') throw new Error(`${url} has no ${field}`);
    }
    const metadata = doc as ProviderMetadata;
    this.keys = createRemoteJWKSet(new URL(metadata.jwks_uri), {
      cooldownDuration: this.cooldownMs,
      timeoutDuration: this.timeoutMs,
    });
    this.discovered = metadata;
    logger.info(
      { issuer: metadata.issuer, jwksUri: metadata.jwks_uri },
      'OIDC provider discovered',
    );
    return metadata;
  }

  /** The token's principal, or which check it failed. */
  async verify(token: string): Promise<{ principal: Principal } | { refusal: Refusal }> {
    try {
      await this.discover();
    } catch {
      return { refusal: refusalOfVerifyError({}) };
    }
    const keys = this.keys as JWTVerifyGetKey;
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(token, keys, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: ASYMMETRIC_ALGORITHMS,
        clockTolerance: this.clockTolerance,
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      const refusal = refusalOfVerifyError(err as { code?: unknown; claim?: unknown });
      if (refusal.status === 503) logger.warn({ err }, 'OIDC keys could not be fetched');
      return { refusal };
    }
    const sub = claims.sub;
    if (typeof sub !== 'string' || sub === '') {
      return {
        refusal: {
          reason: 'MissingSubject',
          status: 401,
          message: 'the token names no subject (sub)',
        },
      };
    }
    const role = roleFromClaims(claims, this.settings.rolesClaim, this.settings.roleMap);
    if (!role) {
      return {
        refusal: {
          reason: 'NoRole',
          status: 403,
          message: `none of your groups in the ${this.settings.rolesClaim} claim maps to a role (OIDC_ROLE_MAP): ask an administrator for access`,
        },
      };
    }
    return { principal: { role, actor: `oidc:${sub}` } };
  }
}
