import { createPublicKey } from 'node:crypto';
import { base64url, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrdersClient } from '../api/client';
import { OidcVerifier } from '../api/oidc';
import { parseRoleMap } from '../domain/oidc-claims';
import { orderStreamId } from '../domain/streams';
import { EventStore } from '../eventstore';
import { apiAuthRefusals } from '../runtime/metrics';
import { startTestApp, type TestApp } from './support/app';
import {
  AUDIENCE,
  CLIENT_ID,
  mint,
  reserveIssuer,
  signInAt,
  signingKey,
  startProvider,
  type TestProvider,
} from './support/oidc-provider';
import { waitFor } from './support/wait';

// People's tokens on the API, against a real OpenID provider (oidc-provider, in a process
// of its own): the good ones are the provider's, issued through its login form; the bad
// ones are minted here with the provider's own keys (or keys it does not serve).

const ACCOUNTS = {
  ana: ['finance-team'],
  sam: ['sales', 'finance-team'],
  olga: ['ops'],
  guest: ['visitors'],
};

let app: TestApp;
let provider: TestProvider;
let issuer: string;
let key1: JWK;
const client = () => ({ clientId: CLIENT_ID, redirectUri: `${app.url}/` });

beforeAll(async () => {
  const at = await reserveIssuer();
  issuer = at.issuer;
  const verifier = new OidcVerifier(
    {
      issuer,
      audience: AUDIENCE,
      rolesClaim: 'realm_access.roles',
      roleMap: parseRoleMap('finance-team=reader,sales=writer,ops=admin'),
      clientId: CLIENT_ID,
      scopes: 'openid',
    },
    // A short cooldown so the rotation below is seen in a second, not the default 30.
    { jwksCooldownMs: 1_000, clockToleranceSeconds: 5 },
  );
  app = await startTestApp(['commands'], { oidc: verifier });
  key1 = await signingKey('k1');
  provider = await startProvider(
    at,
    {
      audience: AUDIENCE,
      clientId: CLIENT_ID,
      redirectUri: `${app.url}/`,
      accessTokenTtl: 300,
      accounts: ACCOUNTS,
    },
    [key1],
  );
}, 60_000);
afterAll(async () => {
  await provider?.stop();
  await app?.stop();
});

const now = () => Math.floor(Date.now() / 1000);
const goodClaims = () => ({
  iss: issuer,
  aud: AUDIENCE,
  sub: 'mallory',
  iat: now(),
  exp: now() + 300,
  realm_access: { roles: ['ops'] },
});

interface Refused {
  status: number;
  body: { error: { message: string; data: { code: string; reason?: string } } };
}

/** The same call over tRPC and REST: both answer alike. */
async function whoami(token: string | undefined): Promise<Refused[]> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  return Promise.all(
    [`${app.url}/trpc/session.whoami`, `${app.url}/api/session`].map(async (url) => {
      const res = await app.fetch(url, { headers });
      return { status: res.status, body: (await res.json()) as Refused['body'] };
    }),
  );
}

describe('a person signed in at the provider', () => {
  it('calls the API with the role their groups map to (realm_access.roles through OIDC_ROLE_MAP)', async () => {
    for (const [login, role] of [
      ['ana', 'reader'],
      ['sam', 'writer'],
      ['olga', 'admin'],
    ] as const) {
      const { accessToken } = await signInAt(provider, client(), login);
      const person = createOrdersClient({
        url: `${app.url}/trpc`,
        token: accessToken,
        fetch: app.fetch,
      });
      expect(await person.session.whoami.query(), login).toEqual({ role });
    }
  });

  it("stores the person's subject as the actor of the events, never the token", async () => {
    const { accessToken } = await signInAt(provider, client(), 'sam');
    const person = createOrdersClient({
      url: `${app.url}/trpc`,
      token: accessToken,
      fetch: app.fetch,
    });
    const { orderId } = await person.orders.place.mutate({
      customerId: 'c-1',
      region: 'eu',
      currency: 'EUR',
      items: [{ productId: 'p-1', quantity: 1, unitPriceMinor: 100 }],
    });
    const [event] = await new EventStore(app.connections.pool).readStream(orderStreamId(orderId));
    expect(event?.metadata.actor).toBe('oidc:sam');
    expect(JSON.stringify(event)).not.toContain(accessToken.split('.')[2]);
  });

  it('names the person in the audit trail of an admin action (oidc:<sub>)', async () => {
    const { accessToken } = await signInAt(provider, client(), 'olga');
    const olga = createOrdersClient({
      url: `${app.url}/trpc`,
      token: accessToken,
      fetch: app.fetch,
    });
    const orderId = `o-${Date.now()}`;
    await expect(
      olga.admin.parked.retry.mutate({ readModel: 'elasticsearch', orderId }),
    ).rejects.toThrow();
    const { entries } = await olga.audit.list.query({ actor: 'oidc:olga' });
    expect(entries.map((e) => [e.actor, e.action, e.target, e.outcome])).toContainEqual([
      'oidc:olga',
      'admin.parked.retry',
      `elasticsearch/${orderId}`,
      'NOT_FOUND',
    ]);
  });

  it('with no group that maps to a role is refused with 403 NoRole', async () => {
    const { accessToken } = await signInAt(provider, client(), 'guest');
    for (const answer of await whoami(accessToken)) {
      expect(answer.status).toBe(403);
      expect(answer.body.error.data.reason).toBe('NoRole');
    }
  });

  it('leaves static tokens working beside it', async () => {
    expect(await app.client('reader').session.whoami.query()).toEqual({ role: 'reader' });
  });
});

describe('every bad token is refused with 401 and the check it failed', () => {
  it.each<[string, () => Promise<string | undefined>, string]>([
    ['no token', async () => undefined, 'MissingToken'],
    ['an unknown static token', async () => 'not-a-token-at-all-0123', 'UnknownToken'],
    [
      'expired',
      () => mint(key1, { ...goodClaims(), iat: now() - 600, exp: now() - 120 }),
      'TokenExpired',
    ],
    [
      'not yet valid (nbf in the future)',
      () => mint(key1, { ...goodClaims(), nbf: now() + 300 }),
      'TokenNotYetValid',
    ],
    [
      'for another audience',
      () => mint(key1, { ...goodClaims(), aud: 'someone-else' }),
      'WrongAudience',
    ],
    [
      'from another issuer',
      () => mint(key1, { ...goodClaims(), iss: 'https://evil.example.com' }),
      'WrongIssuer',
    ],
    [
      'alg none',
      async () => {
        const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
        return `${header}.${base64url.encode(JSON.stringify(goodClaims()))}.`;
      },
      'AlgorithmNotAllowed',
    ],
    [
      'HS256 signed with the public key',
      async () => {
        const pem = createPublicKey({ key: key1 as never, format: 'jwk' }).export({
          type: 'spki',
          format: 'pem',
        });
        return new SignJWT(goodClaims())
          .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
          .sign(new TextEncoder().encode(pem.toString()));
      },
      'AlgorithmNotAllowed',
    ],
    [
      'signed by a key the provider does not serve',
      async () => mint(await signingKey('k1'), goodClaims()),
      'BadSignature',
    ],
    [
      'with an unknown key id',
      async () => mint(await signingKey('stranger'), goodClaims()),
      'UnknownSigningKey',
    ],
    [
      'shaped like a JWT, but its header is not JSON',
      async () => 'bm90IGpzb24.bm90IGpzb24.c2ln',
      'MalformedToken',
    ],
  ])('%s', async (_name, tokenOf, reason) => {
    const token = await tokenOf();
    for (const answer of await whoami(token)) {
      expect(answer.status).toBe(401);
      expect(answer.body.error.data).toMatchObject({ code: 'UNAUTHORIZED', reason });
      if (token)
        expect(JSON.stringify(answer.body)).not.toContain(token.split('.').at(-1) || token);
    }
  });
});

describe('refusals by reason', () => {
  it('are counted for operators (orders_api_auth_refusals_total), the reason as the label', async () => {
    const counts = Object.fromEntries(
      (await apiAuthRefusals.get()).values.map((v) => [v.labels.reason, v.value]),
    );
    for (const reason of ['TokenExpired', 'WrongAudience', 'AlgorithmNotAllowed', 'NoRole']) {
      expect(counts[reason], reason).toBeGreaterThan(0);
    }
  });
});

describe('key rotation at the provider', () => {
  it('picks up a key rotated in without a restart, and refuses the key rotated away', async () => {
    const before = await mint(key1, goodClaims());
    expect((await whoami(before)).map((a) => a.status)).toEqual([200, 200]);

    const key2 = await signingKey('k2');
    await provider.restart([key2]);
    // Past the verifier's cooldown (1 s here, 30 s by default) since it last fetched the keys.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const { accessToken } = await signInAt(provider, client(), 'olga');
    expect(
      JSON.parse(Buffer.from(accessToken.split('.')[0] as string, 'base64url').toString()),
    ).toMatchObject({ kid: 'k2' });
    const person = createOrdersClient({
      url: `${app.url}/trpc`,
      token: accessToken,
      fetch: app.fetch,
    });
    expect(await person.session.whoami.query()).toEqual({ role: 'admin' });

    await new Promise((resolve) => setTimeout(resolve, 1_100));
    for (const answer of await whoami(await mint(key1, goodClaims()))) {
      expect(answer.status).toBe(401);
      expect(answer.body.error.data.reason).toBe('UnknownSigningKey');
    }
  });

  it('answers 503 ProviderUnavailable when an unknown key cannot be looked up, and keeps the cached keys', async () => {
    const key2 = provider.keys[0] as JWK;
    await provider.stop();
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      for (const answer of await whoami(await mint(await signingKey('k3'), goodClaims()))) {
        expect(answer.status).toBe(503);
        expect(answer.body.error.data.reason).toBe('ProviderUnavailable');
      }
      expect((await whoami(await mint(key2, goodClaims()))).map((a) => a.status)).toEqual([
        200, 200,
      ]);
    } finally {
      await provider.restart(provider.keys);
    }
  });
});

describe('a provider not up when the API starts', () => {
  it('refuses people with 503 meanwhile, and accepts them once it answers, without a restart', async () => {
    const later = await reserveIssuer();
    const verifier = new OidcVerifier({
      issuer: later.issuer,
      audience: AUDIENCE,
      rolesClaim: 'realm_access.roles',
      roleMap: parseRoleMap('ops=admin'),
      scopes: 'openid',
    });
    const key = await signingKey('late');
    const token = await mint(key, { ...goodClaims(), iss: later.issuer });
    expect(await verifier.verify(token)).toMatchObject({
      refusal: { status: 503, reason: 'ProviderUnavailable' },
    });
    const late = await startProvider(
      later,
      {
        audience: AUDIENCE,
        clientId: CLIENT_ID,
        redirectUri: `${app.url}/`,
        accessTokenTtl: 300,
        accounts: {},
      },
      [key],
    );
    try {
      // Discovery is asked again 5 s after a failure (calls meanwhile are refused at once).
      const accepted = await waitFor(
        'the token accepted once the provider answers',
        async () => {
          const outcome = await verifier.verify(token);
          return 'principal' in outcome ? outcome.principal : undefined;
        },
        15_000,
        250,
      );
      expect(accepted).toEqual({ role: 'admin', actor: 'oidc:mallory' });
    } finally {
      await late.stop();
    }
  });
});
