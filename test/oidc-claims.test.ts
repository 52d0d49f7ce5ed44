import { describe, expect, it } from 'vitest';
import {
  claimAt,
  looksLikeJwt,
  parseRoleMap,
  refusalOfVerifyError,
  roleFromClaims,
} from '../domain/oidc-claims';

// How a verified token's claims become a role, and how a failed check is named to the
// caller. Pure: no provider, no servers (test/oidc.test.ts runs a real one).

describe('parseRoleMap (OIDC_ROLE_MAP)', () => {
  it('given no map, when parsed, then the role names map to themselves', () => {
    const map = parseRoleMap(undefined);
    expect([...map]).toEqual([
      ['reader', 'reader'],
      ['writer', 'writer'],
      ['admin', 'admin'],
    ]);
  });

  it('given group=role pairs, when parsed, then each group grants its role (spaces trimmed)', () => {
    const map = parseRoleMap(' finance-team=reader, ops = admin,/org/sales=writer');
    expect(Object.fromEntries(map)).toEqual({
      'finance-team': 'reader',
      ops: 'admin',
      '/org/sales': 'writer',
    });
  });

  it.each([
    ['finance-team', /entry 1 of 1 is not group=role/],
    ['=admin', /entry 1 of 1 is not group=role/],
    ['ops=boss', /entry 1 of 1: "boss" is not one of reader, writer, admin/],
    ['ops=admin,ops=reader', /entry 2 of 2: the group "ops" is mapped twice/],
  ])('given %s, when parsed, then it is refused saying which entry and why', (spec, message) => {
    expect(() => parseRoleMap(spec)).toThrow(message);
  });
});

describe('claimAt (OIDC_ROLES_CLAIM)', () => {
  const claims = {
    roles: ['a'],
    realm_access: { roles: ['ops'] },
    'https://example.com/groups': ['g'],
    resource_access: { 'orders-api': { roles: ['finance-team'] } },
  };

  it('given a top-level name, when read, then its value', () => {
    expect(claimAt(claims, 'roles')).toEqual(['a']);
  });

  it('given a dotted path, when read, then the nested value', () => {
    expect(claimAt(claims, 'realm_access.roles')).toEqual(['ops']);
    expect(claimAt(claims, 'resource_access.orders-api.roles')).toEqual(['finance-team']);
  });

  it('given a claim whose own name has dots, when read, then that claim', () => {
    expect(claimAt(claims, 'https://example.com/groups')).toEqual(['g']);
  });

  it('given a path that is not there, or runs through a non-object, when read, then undefined', () => {
    expect(claimAt(claims, 'realm_access.groups')).toBeUndefined();
    expect(claimAt(claims, 'roles.length')).toBeUndefined();
    expect(claimAt(claims, 'nothing.here')).toBeUndefined();
    expect(claimAt({ a: null }, 'a.b')).toBeUndefined();
  });

  it('given a path through the prototype, when read, then undefined (only own claims count)', () => {
    expect(claimAt(claims, 'constructor.name')).toBeUndefined();
    expect(claimAt({}, '__proto__')).toBeUndefined();
  });
});

describe('roleFromClaims', () => {
  const map = parseRoleMap('finance-team=reader,sales=writer,ops=admin');

  it('given several mapped groups, when mapped, then the highest role wins', () => {
    expect(roleFromClaims({ roles: ['finance-team', 'ops', 'sales'] }, 'roles', map)).toBe('admin');
    expect(roleFromClaims({ roles: ['sales', 'finance-team'] }, 'roles', map)).toBe('writer');
  });

  it('given one group as a string, when mapped, then its role', () => {
    expect(roleFromClaims({ groups: 'finance-team' }, 'groups', map)).toBe('reader');
  });

  it('given groups none of which is mapped, or no claim, or non-strings, when mapped, then no role', () => {
    expect(roleFromClaims({ roles: ['guests', 'admin'] }, 'roles', map)).toBeNull();
    expect(roleFromClaims({}, 'roles', map)).toBeNull();
    expect(roleFromClaims({ roles: [1, { ops: true }, null] }, 'roles', map)).toBeNull();
  });

  it('given no map, when the claim names roles, then those roles', () => {
    expect(roleFromClaims({ roles: ['writer', 'x'] }, 'roles', parseRoleMap(undefined))).toBe(
      'writer',
    );
  });

  it('given a dotted claim path, when mapped, then the nested groups count', () => {
    expect(roleFromClaims({ realm_access: { roles: ['ops'] } }, 'realm_access.roles', map)).toBe(
      'admin',
    );
  });
});

describe('refusalOfVerifyError (data.reason of a 401)', () => {
  it.each([
    [{ code: 'ERR_JWT_EXPIRED', claim: 'exp' }, 'TokenExpired', 401],
    [{ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'nbf' }, 'TokenNotYetValid', 401],
    [{ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'iss' }, 'WrongIssuer', 401],
    [{ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'aud' }, 'WrongAudience', 401],
    [{ code: 'ERR_JOSE_ALG_NOT_ALLOWED' }, 'AlgorithmNotAllowed', 401],
    [{ code: 'ERR_JWKS_NO_MATCHING_KEY' }, 'UnknownSigningKey', 401],
    [{ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' }, 'BadSignature', 401],
    [{ code: 'ERR_JWS_INVALID' }, 'MalformedToken', 401],
    [{ code: 'ERR_JWKS_TIMEOUT' }, 'ProviderUnavailable', 503],
    [{}, 'ProviderUnavailable', 503],
  ])('given jose error %o, when named, then %s with %i', (error, reason, status) => {
    const refusal = refusalOfVerifyError(error);
    expect(refusal.reason).toBe(reason);
    expect(refusal.status).toBe(status);
    expect(refusal.message.length).toBeGreaterThan(10);
  });
});

describe('looksLikeJwt', () => {
  it('given three base64url parts (an empty last one for alg none), then a JWT shape', () => {
    expect(looksLikeJwt('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln')).toBe(true);
    expect(looksLikeJwt('eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.')).toBe(true);
  });

  it('given a static token or two parts, then not', () => {
    expect(looksLikeJwt('reader-token-0123456789')).toBe(false);
    expect(looksLikeJwt('a.b')).toBe(false);
    expect(looksLikeJwt('a.b.c.d')).toBe(false);
  });
});
