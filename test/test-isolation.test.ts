import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { config } from '../config/env';
import { workflowBundle } from '../temporal/worker';
import {
  abandonedRunDatabases,
  abandonedRunDirectories,
  fileDatabaseName,
  fileSlug,
  isRunDatabase,
  newRunId,
  runStartedAt,
  templateDatabaseName,
} from './support/test-run';

// Files run side by side (vitest.config.ts): each must own what it writes and waits for.
const MIGRATIONS = new URL('../eventstore/migrations/', import.meta.url);
const testDir = fileURLToPath(new URL('.', import.meta.url));

describe('a test file runs on resources of its own', () => {
  it('its database: not the run’s shared one, migrated, and holding no other file’s events', async () => {
    const own = new URL(config().DATABASE_URL).pathname.slice(1);
    expect(own).toMatch(/_test_vt[0-9a-z]{12}_test_isolation$/);
    const client = new pg.Client({ connectionString: config().DATABASE_URL });
    await client.connect();
    try {
      const { rows: migrated } = await client.query<{ n: number }>(
        'select count(*)::int as n from schema_migrations',
      );
      const migrations = (await readdir(MIGRATIONS)).filter((f) => f.endsWith('.sql'));
      expect(migrated[0]?.n).toBe(migrations.length);
      const { rows } = await client.query<{ n: number }>('select count(*)::int as n from events');
      expect(rows[0]?.n).toBe(0);
    } finally {
      await client.end();
    }
  });

  it('its index, key and task-queue prefixes name the file', () => {
    const { ES_INDEX_PREFIX, REDIS_KEY_PREFIX, TASK_QUEUE_PREFIX } = config();
    expect(ES_INDEX_PREFIX).toMatch(/-test-isolation-$/);
    expect(REDIS_KEY_PREFIX).toMatch(/:test-isolation:$/);
    expect(TASK_QUEUE_PREFIX).toMatch(/-test-isolation$/);
  });

  it('its workers load the workflow code the run bundled once, not a bundle of their own', async () => {
    const path = config().WORKFLOW_BUNDLE_PATH;
    expect(path).toBeDefined();
    const { code } = await workflowBundle();
    expect(code).toBe(await readFile(path ?? '', 'utf8'));
  });
});

describe('names of a run’s per-file resources', () => {
  const run = newRunId(Date.UTC(2026, 11, 5, 9, 0, 0));

  it('a run id tells when its run started', () => {
    expect(run).toMatch(/^[0-9a-z]{12}$/);
    expect(runStartedAt(run)).toBe(Date.UTC(2026, 11, 5, 9, 0, 0));
  });

  it('a file’s slug is its path under test/, lower case, any other character a dash', () => {
    expect(fileSlug(`${testDir}rebuild-smaller.test.ts`, testDir)).toBe('rebuild-smaller');
    expect(fileSlug(`${testDir}faults/faults.test.ts`, testDir)).toBe('faults-faults');
    expect(fileSlug(`${testDir}Odd_Name.test.ts`, testDir)).toBe('odd-name');
  });

  it('database names are the run’s, distinct per file and within PostgreSQL’s 63 bytes', () => {
    const a = fileDatabaseName('orders_test', run, 'rebuild');
    const b = fileDatabaseName('orders_test', run, 'rebuild-smaller');
    expect(a).toBe(`orders_test_vt${run}_rebuild`);
    expect(b).toBe(`orders_test_vt${run}_rebuild_smaller`);
    const long1 = fileDatabaseName('orders_test', run, `${'x'.repeat(60)}-one`);
    const long2 = fileDatabaseName('orders_test', run, `${'x'.repeat(60)}-two`);
    expect(Buffer.byteLength(long1)).toBeLessThanOrEqual(63);
    expect(long1).not.toBe(long2);
    for (const db of [a, b, long1, templateDatabaseName('orders_test', run)]) {
      expect(isRunDatabase(db, 'orders_test', run)).toBe(true);
    }
    expect(isRunDatabase('orders_test', 'orders_test', run)).toBe(false);
    expect(isRunDatabase(`orders_test_vt${newRunId()}_rebuild`, 'orders_test', run)).toBe(false);
  });

  it('only databases of runs started long ago are taken for abandoned', () => {
    const hour = 3_600_000;
    const now = Date.UTC(2026, 11, 5, 12, 0, 0);
    const old = newRunId(now - 7 * hour);
    const recent = newRunId(now - hour);
    const found = abandonedRunDatabases(
      [
        'orders_test',
        'orders',
        `orders_test_vt${old}`,
        `orders_test_vt${old}_rebuild`,
        `orders_test_vt${recent}_rebuild`,
        'orders_test_vtsomethingelse',
        'orders_test_restore_0123456789ab',
        `other_test_vt${old}_rebuild`,
      ],
      'orders_test',
      now,
      6 * hour,
    );
    expect(found).toEqual([`orders_test_vt${old}`, `orders_test_vt${old}_rebuild`]);
  });

  it('only temp directories of runs started long ago are taken for abandoned', () => {
    const hour = 3_600_000;
    const now = Date.UTC(2026, 11, 5, 12, 0, 0);
    const old = newRunId(now - 7 * hour);
    const recent = newRunId(now - hour);
    expect(
      abandonedRunDirectories(
        [
          `order-reporting-test-${old}-AbC123`,
          `order-reporting-test-${recent}-AbC123`,
          'order-reporting-test-nothing',
          `orders-chromium-${old}`,
          'tsx-0',
        ],
        now,
        6 * hour,
      ),
    ).toEqual([`order-reporting-test-${old}-AbC123`]);
  });
});
