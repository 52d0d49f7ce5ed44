import { createHash } from 'node:crypto';
import path from 'node:path';

/**
 * What the global setup makes once per run and hands every test file (vitest's provide and
 * inject): the run's base settings, the migrated database files are copied from, and the
 * workflow code bundled once.
 */
export interface TestRun {
  runId: string;
  /** The run's settings before any file adds its own part (vitest.config.ts). */
  base: {
    DATABASE_URL: string;
    ES_INDEX_PREFIX: string;
    REDIS_KEY_PREFIX: string;
    TASK_QUEUE_PREFIX: string;
  };
  /** Migrated once; every file's database is a copy (CREATE DATABASE … TEMPLATE). */
  templateDatabase: string;
  workflowBundlePath: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    testRun: TestRun;
  }
}

/** PostgreSQL's limit on a database name, in bytes. */
const MAX_NAME = 63;

/** A run id: its start time (base 36, so a leftover can be dated) and 4 random characters. */
export function newRunId(now = Date.now()): string {
  return `${now.toString(36)}${Math.random().toString(36).slice(2, 6).padEnd(4, '0')}`;
}

/** When the run started, from its id. */
export function runStartedAt(runId: string): number {
  return Number.parseInt(runId.slice(0, -4), 36);
}

/** A file's own part of every name: `test/faults/faults.test.ts` → `faults-faults`. */
export function fileSlug(testPath: string, testDir: string): string {
  const relative = path.relative(testDir, testPath).replace(/\.test\.ts$/, '');
  return relative
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

export function databaseOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** The run's template database: the base name, `_vt` and the run id, nothing after them. */
export function templateDatabaseName(baseDatabase: string, runId: string): string {
  return `${baseDatabase}_vt${runId}`;
}

/** A file's database; a name over PostgreSQL's limit keeps its start and a hash of the rest. */
export function fileDatabaseName(baseDatabase: string, runId: string, slug: string): string {
  const name = `${templateDatabaseName(baseDatabase, runId)}_${slug.replaceAll('-', '_')}`;
  if (Buffer.byteLength(name) <= MAX_NAME) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, MAX_NAME - hash.length - 1)}_${hash}`;
}

/** Whether `database` belongs to the run (its template or a file's copy). */
export function isRunDatabase(database: string, baseDatabase: string, runId: string): boolean {
  const template = templateDatabaseName(baseDatabase, runId);
  return database === template || database.startsWith(`${template}_`);
}

/** Whether the run started more than `maxAgeMs` ago (no run lasts that long: it was killed). */
function abandoned(runId: string, now: number, maxAgeMs: number): boolean {
  const started = runStartedAt(runId);
  // One that reads as a time before 2020 is no run id of ours.
  return started > Date.UTC(2020, 0, 1) && now - started > maxAgeMs;
}

/** Databases that runs killed before their teardown left behind (their template and copies). */
export function abandonedRunDatabases(
  databases: string[],
  baseDatabase: string,
  now: number,
  maxAgeMs: number,
): string[] {
  return databases.filter((db) => {
    if (!db.startsWith(`${baseDatabase}_vt`)) return false;
    const runId = /^([0-9a-z]{12})(_|$)/.exec(db.slice(baseDatabase.length + 3))?.[1];
    return runId !== undefined && abandoned(runId, now, maxAgeMs);
  });
}

/** The run's directory under the OS temp dir (the workflow bundle) starts with this and the run id. */
export const RUN_DIRECTORY_PREFIX = 'order-reporting-test-';

/** Temp directories that runs killed before their teardown left behind. */
export function abandonedRunDirectories(names: string[], now: number, maxAgeMs: number): string[] {
  return names.filter((name) => {
    if (!name.startsWith(RUN_DIRECTORY_PREFIX)) return false;
    const runId = /^([0-9a-z]{12})-/.exec(name.slice(RUN_DIRECTORY_PREFIX.length))?.[1];
    return runId !== undefined && abandoned(runId, now, maxAgeMs);
  });
}

export interface FileEnvironment {
  DATABASE_URL: string;
  ES_INDEX_PREFIX: string;
  REDIS_KEY_PREFIX: string;
  TASK_QUEUE_PREFIX: string;
  WORKFLOW_BUNDLE_PATH: string;
  /** In the run's temp directory (removed with it): exports never land in the checkout. */
  EXPORT_DIR: string;
}

/** The environment of one test file: a database and prefixes nothing else in the run uses. */
export function fileEnvironment(run: TestRun, slug: string): FileEnvironment {
  const { base } = run;
  const database = fileDatabaseName(databaseOf(base.DATABASE_URL), run.runId, slug);
  return {
    DATABASE_URL: withDatabase(base.DATABASE_URL, database),
    ES_INDEX_PREFIX: `${base.ES_INDEX_PREFIX}${slug}-`,
    REDIS_KEY_PREFIX: `${base.REDIS_KEY_PREFIX}${slug}:`,
    TASK_QUEUE_PREFIX: `${base.TASK_QUEUE_PREFIX}-${slug}`,
    WORKFLOW_BUNDLE_PATH: run.workflowBundlePath,
    EXPORT_DIR: path.join(path.dirname(run.workflowBundlePath), 'exports', slug),
  };
}
