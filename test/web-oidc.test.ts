import { execFileSync } from 'node:child_process';
import { decodeJwt } from 'jose';
import type { BrowserContext, HTTPRequest, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OidcVerifier } from '../api/oidc';
import { parseRoleMap } from '../domain/oidc-claims';
import { startTestApp, type TestApp } from './support/app';
import {
  holdPagesToContract,
  launchBrowser,
  screenshot,
  type TestBrowser,
  textOf,
} from './support/browser';
import {
  AUDIENCE,
  CLIENT_ID,
  reserveIssuer,
  signingKey,
  startProvider,
  type TestProvider,
} from './support/oidc-provider';
import { waitFor } from './support/wait';

// People sign in to the workspace in a real Chromium through a real OpenID provider's login
// page (oidc-provider): authorization code with PKCE, tokens in the page's memory only,
// renewed before they expire, sign-out ending the provider's session too.

/** Short, so renewal is seen within the test; the API allows 1 s of skew here. */
const ACCESS_TOKEN_TTL = 12;

let app: TestApp;
let provider: TestProvider;
let chrome: TestBrowser;
let workspaceAnswers: string[] = [];
const cspRefusals: string[] = [];

beforeAll(async () => {
  execFileSync('bash', ['scripts/build-web.sh'], { stdio: 'inherit' });
  const at = await reserveIssuer();
  const verifier = new OidcVerifier(
    {
      issuer: at.issuer,
      audience: AUDIENCE,
      rolesClaim: 'realm_access.roles',
      roleMap: parseRoleMap('finance-team=reader,ops=admin'),
      clientId: CLIENT_ID,
      scopes: 'openid',
    },
    { clockToleranceSeconds: 1 },
  );
  app = await startTestApp(['projections'], { oidc: verifier });
  provider = await startProvider(
    at,
    {
      audience: AUDIENCE,
      clientId: CLIENT_ID,
      redirectUri: `${app.url}/`,
      accessTokenTtl: ACCESS_TOKEN_TTL,
      accounts: { ana: ['finance-team'], olga: ['ops'] },
    },
    [await signingKey('k1')],
  );
  chrome = await launchBrowser();
  workspaceAnswers = holdPagesToContract(chrome.browser, app.contract);
}, 120_000);

afterAll(async () => {
  await chrome?.close();
  await provider?.stop();
  expect(workspaceAnswers, 'workspace answers that do not fit /openapi.json').toEqual([]);
  expect(cspRefusals, 'what the Content-Security-Policy refused').toEqual([]);
  await app?.stop();
});

interface Person {
  context: BrowserContext;
  page: Page;
  /** The bearer tokens the page sent to the API, in order. */
  bearers: string[];
  /** Grants the page asked the provider's token endpoint for (authorization_code, refresh_token). */
  grants: string[];
}

/** A browser profile of its own (its own provider cookies), watching what the page sends. */
async function person(): Promise<Person> {
  const context = await chrome.browser.createBrowserContext();
  const page = await context.newPage();
  const bearers: string[] = [];
  const grants: string[] = [];
  await page.setRequestInterception(true);
  page.on('request', (request: HTTPRequest) => {
    const url = new URL(request.url());
    // The provider's pages load a web font; this machine has no internet.
    if (url.hostname !== '127.0.0.1') return void request.abort();
    const auth = request.headers().authorization;
    if (url.href.startsWith(`${app.url}/trpc/`) && auth) bearers.push(auth.slice('Bearer '.length));
    if (url.href === `${provider.issuer}/token` && request.method() === 'POST') {
      grants.push(new URLSearchParams(request.postData() ?? '').get('grant_type') ?? '');
    }
    void request.continue();
  });
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text()))
      cspRefusals.push(message.text());
  });
  return { context, page, bearers, grants };
}

/** From the workspace's sign-in button through the provider's login page, back signed in. */
async function signInThroughProvider(p: Person, login: string, hash = ''): Promise<void> {
  await p.page.goto(`${app.url}/${hash}`, { waitUntil: 'load' });
  await p.page.waitForSelector('#sign-in-oidc');
  expect(await p.page.$('input[name=token]'), 'no token paste beside the provider').toBeNull();
  await Promise.all([p.page.waitForNavigation(), p.page.click('#sign-in-oidc')]);
  await p.page.waitForSelector('input[name=login]');
  expect(p.page.url().startsWith(`${provider.issuer}/interaction/`)).toBe(true);
  await p.page.type('input[name=login]', login);
  await p.page.type('input[name=password]', 'whatever-the-dev-login-accepts');
  await Promise.all([p.page.waitForNavigation(), p.page.click('button[type=submit]')]);
  await p.page.waitForSelector('#role');
}

const screensOf = (page: Page) =>
  page.$$eval('nav a[data-screen]', (links) => links.map((a) => a.getAttribute('data-screen')));

async function statusOf(token: string): Promise<{ status: number; reason?: string }> {
  const res = await app.fetch(`${app.url}/trpc/session.whoami`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = (await res.json()) as { error?: { data?: { reason?: string } } };
  return {
    status: res.status,
    ...(body.error?.data?.reason ? { reason: body.error.data.reason } : {}),
  };
}

describe('signing in through the identity provider', () => {
  it("an operator signs in on the provider's page and sees the admin's screens, back where they started", async () => {
    const olga = await person();
    await signInThroughProvider(olga, 'olga', '#/trends');
    expect(await textOf(olga.page, '#role')).toBe('admin');
    expect(await screensOf(olga.page)).toEqual(['report', 'trends', 'admin']);
    // The code and state are gone from the address; the screen asked for is shown.
    const shown = new URL(olga.page.url());
    expect(shown.search).toBe('');
    expect(shown.hash).toMatch(/^#\/trends/);
    await olga.page.click('a[data-screen=admin]');
    await olga.page.waitForSelector('#screen-admin');
    await screenshot(olga.page, 'oidc-admin');
    // The tokens are in the page's memory only: nothing of them in the tab's or site's storage.
    const token = olga.bearers.at(-1) as string;
    expect(token.split('.')).toHaveLength(3);
    const stored = await olga.page.evaluate(
      'JSON.stringify([sessionStorage, localStorage, document.cookie])',
    );
    expect(stored).not.toContain(token.split('.')[2]);
    expect(olga.grants).toEqual(['authorization_code']);
    await olga.context.close();
  });

  it('a reader sees only the reader screens; a reload signs in again through the provider without a form', async () => {
    const ana = await person();
    await signInThroughProvider(ana, 'ana');
    expect(await textOf(ana.page, '#role')).toBe('reader');
    expect(await screensOf(ana.page)).toEqual(['report', 'trends']);
    await ana.page.goto(`${app.url}/#/admin`, { waitUntil: 'load' });
    await ana.page.waitForSelector('[data-link-problems]');
    expect(await textOf(ana.page, '[data-link-problems]')).toContain('for admins');
    await ana.page.reload({ waitUntil: 'load' });
    await ana.page.waitForSelector('#role');
    expect(await textOf(ana.page, '#role')).toBe('reader');
    expect(ana.grants).toEqual(['authorization_code', 'authorization_code']);
    await ana.context.close();
  });

  it('renews the token before it expires: the page keeps working past the first token’s life', async () => {
    const olga = await person();
    await signInThroughProvider(olga, 'olga');
    const first = olga.bearers.at(-1) as string;
    await waitFor(
      'a renewal (refresh_token grant)',
      async () => (olga.grants.includes('refresh_token') ? true : undefined),
      ACCESS_TOKEN_TTL * 1000 + 5_000,
    );
    // Past the first token's expiry (and the API's 1 s of skew): the API refuses it now...
    const { exp } = decodeJwt(first);
    const expiredAt = ((exp as number) + 2) * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiredAt - Date.now())));
    expect(await statusOf(first)).toEqual({ status: 401, reason: 'TokenExpired' });
    // ...while the page, on its renewed token, still gets answers.
    await olga.page.click('a[data-screen=admin]');
    await olga.page.waitForSelector('#screen-admin');
    await olga.page.click('a[data-screen=report]');
    await olga.page.waitForSelector('#screen-report');
    const latest = olga.bearers.at(-1) as string;
    expect(latest).not.toBe(first);
    expect(await statusOf(latest)).toEqual({ status: 200 });
    expect(await olga.page.$('#sign-in-oidc')).toBeNull();
    await olga.context.close();
  });

  it('sign-out ends the session here and at the provider: signing in again asks for the login', async () => {
    const olga = await person();
    await signInThroughProvider(olga, 'olga');
    await Promise.all([olga.page.waitForNavigation(), olga.page.click('#sign-out')]);
    // The provider asks to confirm (its own page), then sends the page back to the workspace.
    await olga.page.waitForSelector('button[name=logout]');
    await Promise.all([olga.page.waitForNavigation(), olga.page.click('button[name=logout]')]);
    await olga.page.waitForSelector('#sign-in-oidc');
    expect(new URL(olga.page.url()).origin).toBe(app.url);
    await Promise.all([olga.page.waitForNavigation(), olga.page.click('#sign-in-oidc')]);
    await olga.page.waitForSelector('input[name=login]');
    await olga.context.close();
  });
});
