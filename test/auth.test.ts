import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { authenticate, parseTokens } from '../api/auth';
import { loadTokens } from '../api/tokens';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

const READER = 'reader-token-0123456789abcdef';
const WRITER = 'writer-token-0123456789abcdef';
const ADMIN = 'admin-token-0123456789abcdef';
const SPEC = `reader:${READER},writer:${WRITER},admin:${ADMIN}`;

describe('API_TOKENS parsing', () => {
  // Each malformed entry holds a secret-looking token; the refusal must name the entry's
  // number and never quote any part of it.
  const cases: [string, string, RegExp][] = [
    ['no separator', `reader:${READER},SECRETsecretSECRETsecret`, /entry 2 of 2 is not role:token/],
    ['token before role', `SECRETsecretSECRET:reader`, /entry 1 of 1: the role is not one of/],
    ['empty token', `reader:${READER},writer:`, /entry 2 of 2 is not role:token/],
    ['short token', `admin:SECRETsecr`, /entry 1 of 1: the token is shorter than 16/],
    [
      'same token twice',
      `reader:${READER},writer:${READER}`,
      /entry 2 of 2: the same token as entry 1/,
    ],
  ];
  for (const [name, spec, message] of cases) {
    it(`refuses ${name} without echoing the entry`, () => {
      let error: unknown;
      try {
        parseTokens(spec);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(Error);
      const text = (error as Error).message;
      expect(text).toMatch(message);
      for (const secret of ['SECRET', 'secr', 'token-0123']) {
        expect(text).not.toContain(secret);
      }
    });
  }
});

describe('authenticate (digests compared in constant time)', () => {
  const table = parseTokens(SPEC);

  it('accepts each configured token with its role and a fingerprint, never the token', () => {
    for (const [token, role] of [
      [READER, 'reader'],
      [WRITER, 'writer'],
      [ADMIN, 'admin'],
    ] as const) {
      const principal = authenticate(table, `Bearer ${token}`);
      expect(principal?.role).toBe(role);
      expect(principal?.actor).toMatch(new RegExp(`^${role}:[0-9a-f]{8}$`));
      expect(principal?.actor).not.toContain(token.slice(0, 8));
    }
  });

  it('refuses unknown tokens, prefixes, extensions and a missing header', () => {
    for (const header of [
      `Bearer ${READER.slice(0, -1)}`,
      `Bearer ${READER}x`,
      `Bearer ${READER.toUpperCase()}`,
      'Bearer someone-elses-token-0123456789',
      `Basic ${READER}`,
      '',
      undefined,
    ]) {
      expect(authenticate(table, header), String(header)).toBeNull();
    }
  });

  it('keeps no token text in the table', () => {
    expect(JSON.stringify(table)).not.toContain(READER);
    expect(JSON.stringify(table)).not.toContain(ADMIN);
  });
});

describe('loadTokens', () => {
  it('prints generated tokens outside production', () => {
    const lines: string[] = [];
    const table = loadTokens((l) => lines.push(l), {
      NODE_ENV: 'development',
      API_TOKENS: undefined,
    });
    expect(lines.join('\n')).toMatch(/generated tokens for this run/);
    const writer = /writer\s+(\S+)/.exec(lines.join('\n'))?.[1];
    expect(authenticate(table, `Bearer ${writer}`)?.role).toBe('writer');
  });

  it('refuses to run without API_TOKENS in production, and prints nothing', () => {
    const lines: string[] = [];
    expect(() =>
      loadTokens((l) => lines.push(l), { NODE_ENV: 'production', API_TOKENS: undefined }),
    ).toThrow(/API_TOKENS is not set and NODE_ENV=production/);
    expect(lines).toEqual([]);
  });

  it('uses API_TOKENS in production and prints nothing', () => {
    const lines: string[] = [];
    const table = loadTokens((l) => lines.push(l), { NODE_ENV: 'production', API_TOKENS: SPEC });
    expect(authenticate(table, `Bearer ${ADMIN}`)?.role).toBe('admin');
    expect(lines).toEqual([]);
  });

  it('`npm run api` with NODE_ENV=production and no API_TOKENS exits 1 with the reason', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production', API_PORT: '0' };
    delete env.API_TOKENS;
    const result = await run(process.execPath, ['--import', 'tsx', 'api/main.ts'], {
      cwd: root,
      env,
      timeout: 60_000,
    }).then(
      () => ({ code: 0, stdout: '', stderr: '' }),
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/api not started: API_TOKENS is not set and NODE_ENV=production/);
    expect(result.stdout).not.toMatch(/generated tokens/);
  });
});
