import { createHash, randomUUID } from 'node:crypto';
import { Client as EsClient } from '@elastic/elasticsearch';
import { TRPCClientError } from '@trpc/client';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppRouter } from '../api/client';
import { createOrdersClient } from '../api/client';
import { config } from '../config/env';
import { AuditLog } from '../eventstore';
import { ensureOrdersIndex, ensureReportsIndex } from '../projections/elasticsearch';
import { auditWriteFailures } from '../runtime/metrics';
import {
  applySchedulesAudited,
  MONTHLY_ROLLUP_SCHEDULE,
  RETENTION_SCHEDULE,
  scheduleId,
} from '../temporal/schedules';
import { startTestApp, type TestApp, TOKENS } from './support/app';
import { testPool } from './support/db';
import { waitFor } from './support/wait';

// The audit trail: every admin action of the API (and the schedules' tool) leaves a row;
// audit.list pages them for admins.

let app: TestApp;
let pool: pg.Pool;
beforeAll(async () => {
  // Reconcile reads the read models; no projector runs here to create them.
  const es = new EsClient({ node: config().ELASTICSEARCH_URL });
  await ensureOrdersIndex(es, config().ES_INDEX_PREFIX);
  await ensureReportsIndex(es, config().ES_INDEX_PREFIX);
  await es.close();
  pool = testPool(4);
  // A rebuild runs on both queues.
  app = await startTestApp(['commands', 'projections'], {
    webhooks: { allowPrivateUrls: true },
  });
});
afterAll(async () => {
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

describe('the audit trail', () => {
  it('records each admin action with who, what, on what, when and how it ended', async () => {
    const from = new Date().toISOString();
    const admin = app.client('admin');
    // A static token's actor: its role and the first 8 hex digits of its digest.
    const adminActor = `admin:${createHash('sha256').update(TOKENS.admin).digest('hex').slice(0, 8)}`;
    const ops = await admin.apiKeys.create.mutate({ name: 'ops', role: 'admin' });
    const orderId = `o-${randomUUID()}`;
    const subscription = randomUUID();
    expect(
      await codeOf(admin.admin.parked.retry.mutate({ readModel: 'elasticsearch', orderId })),
    ).toBe('NOT_FOUND');
    expect(await codeOf(admin.admin.parked.skip.mutate({ readModel: 'redis', orderId }))).toBe(
      'NOT_FOUND',
    );
    expect(await admin.admin.reconcile.mutate({ month: '2024-01' })).toMatchObject({
      month: '2024-01',
    });
    await admin.admin.projections.rebuild.mutate({ readModel: 'redis' });
    await waitFor(
      'the rebuild to end',
      async () => {
        const p = await admin.admin.projections.rebuildProgress.query({ readModel: 'redis' });
        return p.status === 'RUNNING' ? undefined : p.status;
      },
      120_000,
      250,
    );
    expect(await codeOf(admin.subscriptions.delete.mutate({ id: subscription }))).toBe('NOT_FOUND');
    // No receiver and no webhooks worker here: the subscription is only created and changed.
    const sub = await admin.subscriptions.create.mutate({ url: 'http://127.0.0.1:9/hook' });
    await admin.subscriptions.update.mutate({ id: sub.id, enabled: false });
    await admin.subscriptions.delete.mutate({ id: sub.id });
    // Refused input did nothing: no row. Queries are not actions: no row.
    expect(await codeOf(admin.admin.reconcile.mutate({ month: '2024-13' }))).toBe('BAD_REQUEST');
    await admin.admin.parked.list.query();

    // Created by a key, the next key is the key's doing.
    const { key } = await admin.apiKeys.create.mutate({ name: 'ops-key', role: 'admin' });
    const opsKey = (await admin.apiKeys.list.query()).keys.find((k) => k.name === 'ops-key');
    const byKey = createOrdersClient({ url: `${app.url}/trpc`, token: key, fetch: app.fetch });
    const made = await byKey.apiKeys.create.mutate({ name: 'made', role: 'reader' });
    await byKey.apiKeys.revoke.mutate({ id: made.id });

    const settings = { timeZone: 'Europe/Oslo', retentionMonths: 24 };
    const log = new AuditLog(pool);
    await applySchedulesAudited(app.connections.temporal, settings, log, 'cli:tester');
    for (const id of [MONTHLY_ROLLUP_SCHEDULE, RETENTION_SCHEDULE]) {
      await app.connections.temporal.schedule.getHandle(scheduleId(id)).delete();
    }
    const badZone = { timeZone: 'Nowhere/Atlantis', retentionMonths: 24 };
    await expect(
      applySchedulesAudited(app.connections.temporal, badZone, log, 'cli:tester'),
    ).rejects.toThrow();

    const { entries, nextCursor } = await admin.audit.list.query({ from });
    expect(nextCursor).toBeNull();
    const keyActor = `key:${opsKey?.id}`;
    expect(entries.map((e) => [e.actor, e.action, e.target, e.outcome]).reverse()).toEqual([
      [adminActor, 'apiKeys.create', ops.id, 'ok'],
      [adminActor, 'admin.parked.retry', `elasticsearch/${orderId}`, 'NOT_FOUND'],
      [adminActor, 'admin.parked.skip', `redis/${orderId}`, 'NOT_FOUND'],
      [adminActor, 'admin.reconcile', '2024-01', 'ok'],
      [adminActor, 'admin.projections.rebuild', 'redis', 'ok'],
      [adminActor, 'subscriptions.delete', subscription, 'NOT_FOUND'],
      [adminActor, 'subscriptions.create', sub.id, 'ok'],
      [adminActor, 'subscriptions.update', sub.id, 'ok'],
      [adminActor, 'subscriptions.delete', sub.id, 'ok'],
      [adminActor, 'apiKeys.create', opsKey?.id, 'ok'],
      [keyActor, 'apiKeys.create', made.id, 'ok'],
      [keyActor, 'apiKeys.revoke', made.id, 'ok'],
      ['cli:tester', 'schedules.apply', null, 'ok'],
      ['cli:tester', 'schedules.apply', null, 'failed'],
    ]);
    const retry = entries.find((e) => e.action === 'admin.parked.retry');
    expect(retry?.message).toMatch(/is not parked for elasticsearch/);
    expect(retry?.details).toEqual({ readModel: 'elasticsearch', orderId });
    expect(retry?.correlationId).toMatch(/.+/);
    expect(
      entries.find((e) => e.action === 'apiKeys.create' && e.target === made.id)?.details,
    ).toEqual({
      name: 'made',
      role: 'reader',
    });
    // Newest first: the failed apply, then the one that worked.
    expect(entries[1]?.details).toEqual(settings);
    expect(entries[0]?.message).toMatch(/Atlantis|time zone/i);
    for (const e of entries) {
      expect(Date.parse(e.at)).toBeGreaterThanOrEqual(Date.parse(from));
      expect(Date.parse(e.at)).toBeLessThanOrEqual(Date.now());
    }
    // The keys and the webhook secret, answered once, are in no row.
    const { rows } = await pool.query('select row_to_json(a)::text as row from audit_log a');
    for (const secret of [key, made.key, sub.secret]) {
      expect(rows.map((r) => r.row).join('\n')).not.toContain(secret.slice(4));
    }
  });

  it('pages newest first and filters by actor, action and time; only admins read it', async () => {
    const admin = app.client('admin');
    const log = new AuditLog(pool);
    const mark = async (actor: string, action: string) =>
      log.record({
        actor,
        action,
        target: null,
        details: null,
        outcome: 'ok',
        message: null,
        correlationId: null,
      });
    const actor = `cli:pager-${randomUUID()}`;
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) ids.push(await mark(actor, i % 2 ? 'paging.odd' : 'paging.even'));
    await new Promise((r) => setTimeout(r, 20));
    const between = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    ids.push(await mark(actor, 'paging.even'));

    const pages: number[][] = [];
    let cursor: number | undefined;
    do {
      const page = await admin.audit.list.query({ actor, limit: 3, ...(cursor ? { cursor } : {}) });
      pages.push(page.entries.map((e) => e.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const newestFirst = [...ids].reverse();
    expect(pages).toEqual([newestFirst.slice(0, 3), newestFirst.slice(3, 6), newestFirst.slice(6)]);

    const odd = await admin.audit.list.query({ actor, action: 'paging.odd' });
    expect(odd.entries.map((e) => e.id)).toEqual([ids[5], ids[3], ids[1]]);
    const before = await admin.audit.list.query({ actor, to: between });
    expect(before.entries.map((e) => e.id)).toEqual(newestFirst.slice(1));
    const after = await admin.audit.list.query({ actor, from: between });
    expect(after.entries.map((e) => e.id)).toEqual([ids[7]]);
    expect((await admin.audit.list.query({ actor: 'cli:nobody' })).entries).toEqual([]);

    expect(await codeOf(admin.audit.list.query({ limit: 201 }))).toBe('BAD_REQUEST');
    expect(await codeOf(admin.audit.list.query({ from: 'yesterday' }))).toBe('BAD_REQUEST');
    for (const role of ['reader', 'writer'] as const) {
      expect(await codeOf(app.client(role).audit.list.query({}))).toBe('FORBIDDEN');
    }
  });

  it('an action whose record cannot be written is still done, counted for the alert', async () => {
    const failures = async () =>
      (await auditWriteFailures.get()).values.find((v) => v.labels.source === 'api')?.value ?? 0;
    const before = await failures();
    await pool.query('alter table audit_log rename to audit_log_away');
    try {
      const made = await app
        .client('admin')
        .apiKeys.create.mutate({ name: 'unrecorded', role: 'reader' });
      expect(made.key).toMatch(/^ork_/);
    } finally {
      await pool.query('alter table audit_log_away rename to audit_log');
    }
    expect(await failures()).toBe(before + 1);
    const listed = await app.client('admin').apiKeys.list.query();
    expect(listed.keys.some((k) => k.name === 'unrecorded')).toBe(true);
  });
});
