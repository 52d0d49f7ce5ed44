import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { exportJWK, generateKeyPair, importJWK, type JWK, type JWTPayload, SignJWT } from 'jose';

// The provider process of test/fixtures/oidc-provider.mjs, driven from a test: its signing
// keys are the test's, so the test can mint tokens the provider would not (bad ones).

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The API's audience at the tests' provider: oidc-provider names a resource by an absolute
 * URI (Keycloak and Entra ID often use the client id).
 */
export const AUDIENCE = 'urn:orders:api';
/** The workspace's client at the tests' provider. */
export const CLIENT_ID = 'orders-workspace';

export interface ProviderSettings {
  audience: string;
  clientId: string;
  /** The workspace's address, where the provider sends the code and returns after sign-out. */
  redirectUri: string;
  accessTokenTtl: number;
  /** Each login's groups, as the provider puts them in realm_access.roles. */
  accounts: Record<string, string[]>;
}

export interface TestProvider {
  issuer: string;
  /** The private JWKs it signs with now. */
  keys: JWK[];
  /** A new process on the same port serving `keys` (a rotation): what the old one issued stays valid only if its key is still served. */
  restart(keys: JWK[]): Promise<void>;
  stop(): Promise<void>;
}

/** A fresh RS256 key pair as a private JWK with its kid. */
export async function signingKey(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
}

/** The public half of a private JWK, as a JWKS serves it. */
export function publicJwk(key: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = key;
  return pub;
}

/** A token signed with `key` (RS256) carrying `claims` as given: the test decides every claim. */
export async function mint(key: JWK, claims: JWTPayload): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: key.kid as string, typ: 'at+jwt' })
    .sign(await importJWK(key, 'RS256'));
}

/** A port free now on 127.0.0.1 (the issuer's URL must be known before the process starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function spawnProvider(settings: Record<string, unknown>): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['test/fixtures/oidc-provider.mjs', JSON.stringify(settings)],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_ENV: 'test' } },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('oidc-provider did not start in 20 s')),
      20_000,
    );
    child.stdout?.once('data', () => {
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => reject(new Error(`oidc-provider exited with ${code}`)));
  });
  return child;
}

const exited = (c: ChildProcess) =>
  c.exitCode !== null || c.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => c.once('exit', () => resolve()));

/** The issuer URL of a provider not started yet, so the API can be configured first. */
export async function reserveIssuer(): Promise<{ issuer: string; port: number }> {
  const port = await freePort();
  return { issuer: `http://127.0.0.1:${port}`, port };
}

export async function startProvider(
  at: { issuer: string; port: number },
  settings: ProviderSettings,
  keys: JWK[],
): Promise<TestProvider> {
  const base = { ...settings, issuer: at.issuer, port: at.port };
  let current = keys;
  let child = await spawnProvider({ ...base, keys: current });
  return {
    issuer: at.issuer,
    get keys() {
      return current;
    },
    async restart(next) {
      child.kill('SIGTERM');
      await exited(child);
      current = next;
      child = await spawnProvider({ ...base, keys: current });
    },
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
    },
  };
}

/**
 * Signs `login` in at the provider as a browser would, without one: authorization code with
 * PKCE through the provider's own login form, cookies carried by hand. The provider's tokens.
 */
export async function signInAt(
  provider: { issuer: string },
  client: { clientId: string; redirectUri: string },
  login: string,
): Promise<{ accessToken: string; idToken: string; expiresIn: number }> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const jar = new Map<string, string>();
  const step = async (url: string, init: RequestInit = {}): Promise<string> => {
    const res = await fetch(new URL(url, provider.issuer), {
      ...init,
      redirect: 'manual',
      headers: {
        ...(init.headers as Record<string, string>),
        cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
      },
    });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const eq = pair.indexOf('=');
      jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    const location = res.headers.get('location');
    if (!location) throw new Error(`${url}: ${res.status} without a redirect: ${await res.text()}`);
    return new URL(location, provider.issuer).href;
  };
  const authorize = new URL('/auth', provider.issuer);
  for (const [k, v] of Object.entries({
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    response_type: 'code',
    scope: 'openid',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'st',
  })) {
    authorize.searchParams.set(k, v);
  }
  const interaction = await step(authorize.href);
  const resume = await step(interaction, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ prompt: 'login', login, password: 'any' }).toString(),
  });
  const back = new URL(await step(resume));
  const code = back.searchParams.get('code');
  if (!code) throw new Error(`no code in ${back.href}`);
  const res = await fetch(new URL('/token', provider.issuer), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: client.redirectUri,
      client_id: client.clientId,
      code_verifier: verifier,
    }).toString(),
  });
  const tokens = (await res.json()) as {
    access_token: string;
    id_token: string;
    expires_in: number;
  };
  if (!res.ok) throw new Error(`token endpoint: ${res.status} ${JSON.stringify(tokens)}`);
  return {
    accessToken: tokens.access_token,
    idToken: tokens.id_token,
    expiresIn: tokens.expires_in,
  };
}
