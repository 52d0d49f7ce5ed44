import { createHash, randomUUID } from 'node:crypto';
import { TRPCClientError } from '@trpc/client';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppRouter } from '../api/client';
import { createOrdersClient } from '../api/client';
import { startTestApp, type TestApp, TOKENS } from './support/app';
import { type AppProcess, startAppProcess } from './support/app-process';
import { testPool } from './support/db';
import { waitFor } from './support/wait';

// Managed API keys against the real stack: two API processes (this file's app and
// api/main.ts in a child process) share the keys through PostgreSQL.

let app: TestApp;
let second: AppProcess;
let pool: pg.Pool;
beforeAll(async () => {
  pool = testPool(4);
  app = await startTestApp(['commands']);
  second = await startAppProcess('api/main.ts', {});
});
afterAll(async () => {
  await second?.stop();
  await app?.stop();
  await pool?.end();
});

const codeOf = async (call: Promise<unknown>): Promise<string | undefined> => {
  try {
    await call;
    return undefined;
  } catch (err) {
    if (err instanceof TRPCClientError) return (err as TRPCClientError<AppRouter>).data?.code;
    throw err;
  }
};

/** The HTTP status of GET /api/session with `key`, on the API at `url`. */
const sessionStatus = async (url: string, key: string): Promise<number> =>
  (await fetch(`${url}/api/session`, { headers: { authorization: `Bearer ${key}` } })).status;

const keyClient = (key: string, url = app.url) =>
  createOrdersClient({ url: `${url}/trpc`, token: key, fetch: app.fetch });

const count = async (table: string): Promise<number> =>
  Number((await pool.query(`select count(*) from ${table}`)).rows[0].count);

describe('managed API keys', () => {
  it('are answered once, stored as digests only, and work with their role', async () => {
    const admin = app.client('admin');
    const created = await admin.apiKeys.create.mutate({ name: 'etl reader', role: 'reader' });
    expect(created).toMatchObject({ name: 'etl reader', role: 'reader', expiresAt: null });
    expect(created.key).toMatch(/^ork_[A-Za-z0-9_-]{43}$/);

    const listed = await admin.apiKeys.list.query();
    const mine = listed.keys.find((k) => k.id === created.id);
    expect(mine).toMatchObject({ name: 'etl reader', role: 'reader', state: 'active' });
    expect(mine?.createdBy).toMatch(/^admin:[0-9a-f]{8}$/);
    expect(JSON.stringify(listed)).not.toContain(created.key);
    expect(JSON.stringify(listed)).not.toContain(created.key.slice(4, 20));

    const { rows } = await pool.query('select *, digest::text as digest_text from api_keys');
    const row = rows.find((r) => r.id === created.id);
    expect(JSON.stringify(rows)).not.toContain(created.key.slice(4, 20));
    expect(row.digest).toEqual(createHash('sha256').update(created.key).digest());

    const reader = keyClient(created.key);
    expect(await reader.session.whoami.query()).toEqual({ role: 'reader' });
    expect(await codeOf(reader.orders.place.mutate({} as never))).toBe('FORBIDDEN');
    expect(await codeOf(keyClient(`${created.key}x`).session.whoami.query())).toBe('UNAUTHORIZED');
  });

  it("put the key's id on the events of the commands it sends", async () => {
    const admin = app.client('admin');
    const { id, key } = await admin.apiKeys.create.mutate({ name: 'shop', role: 'writer' });
    const placed = await keyClient(key).orders.place.mutate({
      commandId: randomUUID(),
      customerId: 'c-keys',
      region: 'eu',
      currency: 'EUR',
      items: [{ productId: 'p-keys', quantity: 1, unitPriceMinor: 100 }],
    });
    const history = await admin.orders.history.query({ orderId: placed.orderId });
    expect(history.events.map((e) => e.metadata.actor)).toEqual([`key:${id}`]);
  });

  it('revoked on one API process, are refused by the other within a second', async () => {
    const admin = app.client('admin');
    const { id, key } = await admin.apiKeys.create.mutate({ name: 'to revoke', role: 'reader' });
    // The second process learns of the new key by notification too.
    await waitFor('the second process to accept the key', async () =>
      (await sessionStatus(second.url, key)) === 200 ? true : undefined,
    );
    const revokedAt = Date.now();
    const revoked = await admin.apiKeys.revoke.mutate({ id });
    expect(revoked).toMatchObject({ id, state: 'revoked' });
    expect(revoked.revokedBy).toMatch(/^admin:/);
    // This process applied it before answering.
    expect(await sessionStatus(app.url, key)).toBe(401);
    await waitFor(
      'the second process to refuse the revoked key',
      async () => ((await sessionStatus(second.url, key)) === 401 ? true : undefined),
      5_000,
      20,
    );
    expect(Date.now() - revokedAt).toBeLessThan(1_000);
    // Revoking again answers it unchanged; the name is free again.
    expect(await admin.apiKeys.revoke.mutate({ id })).toEqual(revoked);
    await admin.apiKeys.create.mutate({ name: 'to revoke', role: 'reader' });
  });

  it('expire: refused on every process from their expiry on, listed as expired', async () => {
    const admin = app.client('admin');
    const expiresAt = new Date(Date.now() + 2_000).toISOString();
    const { id, key } = await admin.apiKeys.create.mutate({
      name: 'short-lived',
      role: 'reader',
      expiresAt,
    });
    await waitFor('the second process to accept the key', async () =>
      (await sessionStatus(second.url, key)) === 200 ? true : undefined,
    );
    expect(await sessionStatus(app.url, key)).toBe(200);
    await new Promise((r) => setTimeout(r, Date.parse(expiresAt) - Date.now() + 1));
    // No notification: each request checks the expiry itself.
    expect(await sessionStatus(app.url, key)).toBe(401);
    expect(await sessionStatus(second.url, key)).toBe(401);
    const listed = await admin.apiKeys.list.query();
    expect(listed.keys.find((k) => k.id === id)).toMatchObject({ state: 'expired', expiresAt });
  });

  it('write "last used" coalesced: many requests, one time shown', async () => {
    const admin = app.client('admin');
    const { id, key } = await admin.apiKeys.create.mutate({ name: 'busy', role: 'reader' });
    // Counts the writes of last_used_at to this key's row.
    await pool.query(`create table if not exists last_used_writes (id uuid, at timestamptz default now());
      create or replace function count_last_used() returns trigger language plpgsql as $$
        begin insert into last_used_writes (id) values (new.id); return null; end $$;
      create or replace trigger count_last_used after update of last_used_at on api_keys
        for each row execute function count_last_used();`);
    const before = Date.now();
    for (let i = 0; i < 20; i++) expect(await sessionStatus(app.url, key)).toBe(200);
    const lastUsedAt = await waitFor(
      'last used to be written',
      async () =>
        (await admin.apiKeys.list.query()).keys.find((k) => k.id === id)?.lastUsedAt ?? undefined,
      20_000,
      500,
    );
    expect(Date.parse(lastUsedAt)).toBeGreaterThanOrEqual(before - 1);
    expect(Date.parse(lastUsedAt)).toBeLessThanOrEqual(Date.now());
    // Written by the process's periodic flush (every 10 s), not once per request: 20 requests
    // within a second or so fall into one flush, at most two.
    const writes = await pool.query('select count(*) from last_used_writes where id = $1', [id]);
    expect(Number(writes.rows[0].count)).toBeGreaterThanOrEqual(1);
    expect(Number(writes.rows[0].count)).toBeLessThanOrEqual(2);
  });

  it('refuse wrong input with the fix and persist nothing; only admins manage keys', async () => {
    const admin = app.client('admin');
    const keys = await count('api_keys');
    const audited = await count('audit_log');
    const refusals: [unknown, RegExp][] = [
      [{ name: '', role: 'reader' }, /name: must be 1-100 characters/],
      [{ name: 'x', role: 'root' }, /role/],
      [{ name: 'x', role: 'reader', expiresAt: 'tomorrow' }, /expiresAt: must be an ISO-8601/],
      [
        { name: 'x', role: 'reader', expiresAt: '2020-01-01T00:00:00Z' },
        /expiresAt 2020-01-01T00:00:00.000Z is not in the future: give a later instant/,
      ],
      [{ name: 'x', role: 'reader', key: 'chosen' }, /Unrecognized key/],
    ];
    for (const [input, message] of refusals) {
      const err = await admin.apiKeys.create.mutate(input as never).catch((e: unknown) => e);
      expect(err, JSON.stringify(input)).toBeInstanceOf(TRPCClientError);
      expect((err as TRPCClientError<AppRouter>).data?.code).toBe('BAD_REQUEST');
      expect((err as Error).message).toMatch(message);
    }
    expect(await count('api_keys')).toBe(keys);
    expect(await count('audit_log')).toBe(audited);

    await admin.apiKeys.create.mutate({ name: 'twice', role: 'reader' });
    const taken = (await admin.apiKeys.create
      .mutate({ name: 'twice', role: 'admin' })
      .catch((e: unknown) => e)) as TRPCClientError<AppRouter>;
    expect(taken.data?.code).toBe('CONFLICT');
    expect(taken.message).toMatch(/a key named "twice" is in use: choose another name, or revoke/);
    expect(await codeOf(admin.apiKeys.revoke.mutate({ id: randomUUID() }))).toBe('NOT_FOUND');

    for (const role of ['reader', 'writer'] as const) {
      const client = app.client(role);
      expect(await codeOf(client.apiKeys.list.query())).toBe('FORBIDDEN');
      expect(await codeOf(client.apiKeys.create.mutate({ name: 'n', role: 'admin' }))).toBe(
        'FORBIDDEN',
      );
    }
  });

  it('an admin key manages keys itself, recorded as key:<id>', async () => {
    const root = await app.client('admin').apiKeys.create.mutate({ name: 'ops', role: 'admin' });
    const made = await keyClient(root.key).apiKeys.create.mutate({
      name: 'made by a key',
      role: 'reader',
    });
    const listed = await keyClient(root.key).apiKeys.list.query();
    expect(listed.keys.find((k) => k.id === made.id)?.createdBy).toBe(`key:${root.id}`);
    // The probes know keys too: an admin's key sees which dependency is down, a reader's not.
    const health = async (key: string) =>
      (await fetch(`${app.url}/healthz`, { headers: { authorization: `Bearer ${key}` } })).json();
    expect(await health(root.key)).toHaveProperty('dependencies');
    expect(await health(made.key)).not.toHaveProperty('dependencies');
  });

  it('refuse every key while a notified change cannot be loaded; static tokens still work', async () => {
    const { key } = await app
      .client('admin')
      .apiKeys.create.mutate({ name: 'through an outage', role: 'reader' });
    expect(await sessionStatus(app.url, key)).toBe(200);
    // The table cannot be read: a change notified now cannot be applied.
    await pool.query('alter table api_keys rename to api_keys_away');
    try {
      const notified = Date.now();
      await pool.query('notify api_keys_changed');
      await waitFor(
        'the key to be refused',
        async () => ((await sessionStatus(app.url, key)) === 401 ? true : undefined),
        5_000,
        50,
      );
      // Within a second of the change, plus one request.
      expect(Date.now() - notified).toBeLessThan(2_000);
      expect(await sessionStatus(app.url, TOKENS.reader)).toBe(200);
    } finally {
      await pool.query('alter table api_keys_away rename to api_keys');
    }
    await waitFor(
      'the key to be accepted again',
      async () => ((await sessionStatus(app.url, key)) === 200 ? true : undefined),
      10_000,
      100,
    );
  });
});
