import * as oauth from 'oauth4webapi';
import { SIGN_IN_CONFIG_PATH, type SignInConfig } from '../../api/sign-in-config';
import { renewAfter } from './token-renewal';

// Signing a person in through the company's identity provider: authorization code with
// PKCE (a public client: no secret in the page). Tokens live in this module's memory only:
// a reload or a new tab signs in again, which the provider's own session makes a redirect
// there and back without a form.

export type ProviderConfig = NonNullable<SignInConfig['oidc']>;

/** What survives the round trip to the provider: the PKCE verifier and state, no token. */
const FLOW_KEY = 'orders.oidc.flow';
/** Set while signed in through the provider: a reload goes back to it instead of the form. */
const SIGNED_IN_KEY = 'orders.oidc.signedIn';

interface Flow {
  verifier: string;
  state: string;
  /** The screen to return to. */
  hash: string;
}

/** How the workspace signs in: the provider's details, null for the token paste, or why it cannot tell. */
export async function signInConfig(): Promise<ProviderConfig | null | Error> {
  try {
    const res = await fetch(SIGN_IN_CONFIG_PATH, { headers: { accept: 'application/json' } });
    if (!res.ok) {
      const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
      return new Error(body?.error?.message ?? `the sign-in settings answered ${res.status}`);
    }
    return ((await res.json()) as SignInConfig).oidc;
  } catch (err) {
    return err as Error;
  }
}

const serverOf = (c: ProviderConfig): oauth.AuthorizationServer => ({
  issuer: c.issuer,
  authorization_endpoint: c.authorizationEndpoint,
  token_endpoint: c.tokenEndpoint,
  ...(c.endSessionEndpoint ? { end_session_endpoint: c.endSessionEndpoint } : {}),
});
const clientOf = (c: ProviderConfig): oauth.Client => ({ client_id: c.clientId });
// The API accepts an http:// issuer only on loopback (config/env.ts): a local provider.
const requestOptions = (c: ProviderConfig) =>
  new URL(c.issuer).protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {};
const redirectUri = () => `${location.origin}/`;

export const signedInBefore = (): boolean => sessionStorage.getItem(SIGNED_IN_KEY) === '1';

/** The page goes to the provider's sign-in; it comes back to `/?code=…&state=…`. */
export async function startSignIn(c: ProviderConfig): Promise<void> {
  const flow: Flow = {
    verifier: oauth.generateRandomCodeVerifier(),
    state: oauth.generateRandomState(),
    hash: location.hash,
  };
  sessionStorage.setItem(FLOW_KEY, JSON.stringify(flow));
  const url = new URL(c.authorizationEndpoint);
  url.search = new URLSearchParams({
    client_id: c.clientId,
    redirect_uri: redirectUri(),
    response_type: 'code',
    scope: c.scopes,
    code_challenge: await oauth.calculatePKCECodeChallenge(flow.verifier),
    code_challenge_method: 'S256',
    state: flow.state,
  }).toString();
  location.assign(url.href);
}

/** Whether this page load is the provider sending the person back. */
export const isCallback = (): boolean => {
  const params = new URLSearchParams(location.search);
  return params.has('state') && (params.has('code') || params.has('error'));
};

export class ProviderSession {
  private accessToken: string;
  private refreshToken: string | undefined;
  private readonly idToken: string | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  private constructor(
    private readonly config: ProviderConfig,
    tokens: oauth.TokenEndpointResponse,
    /** Told when renewal fails: the session is over. */
    private readonly ended: (error: Error) => void,
  ) {
    this.accessToken = tokens.access_token;
    this.refreshToken = tokens.refresh_token;
    this.idToken = tokens.id_token;
    this.schedule(tokens.expires_in);
  }

  /** Exchanges the code the provider sent back, and puts the address back as it was. */
  static async complete(
    c: ProviderConfig,
    ended: (error: Error) => void,
  ): Promise<ProviderSession> {
    const flow = JSON.parse(sessionStorage.getItem(FLOW_KEY) ?? 'null') as Flow | null;
    sessionStorage.removeItem(FLOW_KEY);
    const returned = new URL(location.href);
    history.replaceState(null, '', `/${flow?.hash ?? ''}`);
    if (!flow) throw new Error('this sign-in was not started here: sign in again');
    const as = serverOf(c);
    const client = clientOf(c);
    const params = oauth.validateAuthResponse(as, client, returned, flow.state);
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.None(),
      params,
      redirectUri(),
      flow.verifier,
      requestOptions(c),
    );
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
    sessionStorage.setItem(SIGNED_IN_KEY, '1');
    return new ProviderSession(c, tokens, ended);
  }

  /** The access token now (renewed in place: the API client asks before each call). */
  token = (): string => this.accessToken;

  private schedule(expiresIn: number | undefined): void {
    clearTimeout(this.timer);
    // Without a refresh token (or a lifetime) there is nothing to renew: at expiry the API
    // answers 401 and the workspace asks to sign in again.
    if (!this.refreshToken || !expiresIn) return;
    this.timer = setTimeout(() => void this.renew(), renewAfter(expiresIn) * 1000);
  }

  private async renew(): Promise<void> {
    try {
      const as = serverOf(this.config);
      const client = clientOf(this.config);
      const response = await oauth.refreshTokenGrantRequest(
        as,
        client,
        oauth.None(),
        this.refreshToken as string,
        requestOptions(this.config),
      );
      const tokens = await oauth.processRefreshTokenResponse(as, client, response);
      this.accessToken = tokens.access_token;
      this.refreshToken = tokens.refresh_token ?? this.refreshToken;
      this.schedule(tokens.expires_in);
    } catch (err) {
      this.forget();
      this.ended(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Drops the tokens; nothing is left in the page. */
  forget(): void {
    clearTimeout(this.timer);
    this.accessToken = '';
    this.refreshToken = undefined;
    sessionStorage.removeItem(SIGNED_IN_KEY);
  }

  /** Ends the session here and at the provider, which sends the page back to `/`. */
  signOut(): void {
    const idToken = this.idToken;
    this.forget();
    const end = this.config.endSessionEndpoint;
    if (!end) return;
    const url = new URL(end);
    url.search = new URLSearchParams({
      client_id: this.config.clientId,
      post_logout_redirect_uri: redirectUri(),
      ...(idToken ? { id_token_hint: idToken } : {}),
    }).toString();
    location.assign(url.href);
  }
}

/** A pasted token's sign-in or a failed provider round trip leaves no provider state behind. */
export function forgetProviderSignIn(): void {
  sessionStorage.removeItem(SIGNED_IN_KEY);
  sessionStorage.removeItem(FLOW_KEY);
}
