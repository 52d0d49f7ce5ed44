// What the workspace reads to know how people sign in; no imports, so web/ bundles it as is.

/** GET /auth/config: how the workspace signs people in. */
export const SIGN_IN_CONFIG_PATH = '/auth/config';

/** What the workspace needs to run authorization code + PKCE against the provider. */
export interface SignInConfig {
  oidc: {
    issuer: string;
    clientId: string;
    scopes: string;
    authorizationEndpoint: string;
    tokenEndpoint: string;
    endSessionEndpoint?: string;
  } | null;
}
