import { describe, expect, it } from 'vitest';
import { oidcSettingsOf } from '../api/oidc';
import { parseConfig } from '../config/env';
import { renewAfter } from '../web/src/token-renewal';

// The OIDC_* settings, checked at start with messages that say what to set. Pure.

const ISSUER = 'https://login.example.com/realms/orders';

function refusal(env: Record<string, string>): string {
  try {
    oidcSettingsOf(parseConfig(env));
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('accepted');
}

describe('OIDC settings', () => {
  it('given no issuer, then static tokens only (no OIDC settings)', () => {
    expect(oidcSettingsOf(parseConfig({}))).toBeUndefined();
  });

  it('given an issuer and an audience, then the defaults: roles claim `roles`, role names map to themselves, scope openid', () => {
    const settings = oidcSettingsOf(
      parseConfig({ OIDC_ISSUER: ISSUER, OIDC_AUDIENCE: 'orders-api' }),
    );
    expect(settings).toMatchObject({
      issuer: ISSUER,
      audience: 'orders-api',
      rolesClaim: 'roles',
      scopes: 'openid',
    });
    expect(settings?.clientId).toBeUndefined();
    expect(Object.fromEntries(settings?.roleMap ?? [])).toEqual({
      reader: 'reader',
      writer: 'writer',
      admin: 'admin',
    });
  });

  it('given a role map, a dotted claim and a client id, then they are used', () => {
    const settings = oidcSettingsOf(
      parseConfig({
        OIDC_ISSUER: ISSUER,
        OIDC_AUDIENCE: 'orders-api',
        OIDC_ROLES_CLAIM: 'realm_access.roles',
        OIDC_ROLE_MAP: 'finance-team=reader,ops=admin',
        OIDC_CLIENT_ID: 'orders-workspace',
      }),
    );
    expect(settings).toMatchObject({
      rolesClaim: 'realm_access.roles',
      clientId: 'orders-workspace',
    });
    expect(Object.fromEntries(settings?.roleMap ?? [])).toEqual({
      'finance-team': 'reader',
      ops: 'admin',
    });
  });

  it.each<[string, Record<string, string>, RegExp]>([
    [
      'an issuer without an audience',
      { OIDC_ISSUER: ISSUER },
      /OIDC_AUDIENCE: set it with OIDC_ISSUER/,
    ],
    [
      'an audience without an issuer',
      { OIDC_AUDIENCE: 'a' },
      /OIDC_AUDIENCE: set OIDC_ISSUER to use it/,
    ],
    [
      'a client id without an issuer',
      { OIDC_CLIENT_ID: 'c' },
      /OIDC_CLIENT_ID: set OIDC_ISSUER to use it/,
    ],
    [
      'a role map without an issuer',
      { OIDC_ROLE_MAP: 'a=reader' },
      /OIDC_ROLE_MAP: set OIDC_ISSUER to use it/,
    ],
    [
      'an http issuer off loopback',
      { OIDC_ISSUER: 'http://login.example.com', OIDC_AUDIENCE: 'a' },
      /OIDC_ISSUER: must be an https:\/\/ URL/,
    ],
    [
      'an issuer with a query',
      { OIDC_ISSUER: `${ISSUER}?x=1`, OIDC_AUDIENCE: 'a' },
      /OIDC_ISSUER: must be an https:\/\/ URL without query/,
    ],
    [
      'a claim path with an empty segment',
      { OIDC_ISSUER: ISSUER, OIDC_AUDIENCE: 'a', OIDC_ROLES_CLAIM: 'realm_access..roles' },
      /OIDC_ROLES_CLAIM: a claim name, or a dotted path/,
    ],
    [
      'a role map naming no role',
      { OIDC_ISSUER: ISSUER, OIDC_AUDIENCE: 'a', OIDC_ROLE_MAP: 'ops=boss' },
      /OIDC_ROLE_MAP entry 1 of 1: "boss" is not one of reader, writer, admin/,
    ],
  ])('given %s, then start is refused saying what to set', (_name, env, message) => {
    expect(refusal(env)).toMatch(message);
  });

  it('given an http issuer on loopback (a local provider), then it is accepted', () => {
    expect(
      oidcSettingsOf(parseConfig({ OIDC_ISSUER: 'http://127.0.0.1:8080', OIDC_AUDIENCE: 'a' }))
        ?.issuer,
    ).toBe('http://127.0.0.1:8080');
  });
});

describe('the workspace renews a token', () => {
  it.each([
    [300, 240],
    [3600, 3540],
    [12, 9],
    [1, 1],
  ])('given a token living %i s, then it is renewed after %i s', (expiresIn, after) => {
    expect(renewAfter(expiresIn)).toBe(after);
  });
});
