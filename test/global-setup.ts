import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { config } from '../config/env';
import { createPool, migrate } from '../eventstore';
import { createTemporalClient } from '../temporal/client';
import { writeWorkflowBundle } from '../temporal/worker';
import { removeTestResources } from './support/test-cleanup';
import { createDatabase, dropDatabases, listDatabases } from './support/test-databases';
import {
  abandonedRunDatabases,
  abandonedRunDirectories,
  databaseOf,
  isRunDatabase,
  RUN_DIRECTORY_PREFIX,
  type TestRun,
  templateDatabaseName,
  withDatabase,
} from './support/test-run';

/**
 * The tests' own namespace (vitest.config.ts), registered by `npm run stack -- up`: without
 * it every file would fail on its own with a bare "namespace not found".
 */
async function requireTestNamespace(): Promise<void> {
  const { TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE } = config();
  const client = await createTemporalClient();
  try {
    await client.connection.workflowService.describeNamespace({ namespace: TEMPORAL_NAMESPACE });
  } catch (err) {
    throw new Error(
      `Temporal namespace ${TEMPORAL_NAMESPACE} is not usable on ${TEMPORAL_ADDRESS} (${String(err)}): run \`npm run stack -- up\`, which registers it`,
    );
  } finally {
    await client.connection.close();
  }
}

/** Databases of runs killed before their teardown are dropped after this long. */
const ABANDONED_AFTER_MS = 6 * 60 * 60 * 1000;

/** The run's template database: migrated as `npm start` migrates, then copied for each file. */
async function createTemplate(adminUrl: string, template: string): Promise<void> {
  await createDatabase(adminUrl, template);
  const pool = createPool(withDatabase(adminUrl, template), 1);
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
}

/**
 * Once per run, before any file: the migrated template each file's database is copied from
 * (test/support/own-resources.ts) and the workflow code bundled once for every worker of the
 * run, handed to the files with vitest's provide. The teardown removes what the run made.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { DATABASE_URL, ES_INDEX_PREFIX, REDIS_KEY_PREFIX, TASK_QUEUE_PREFIX, TEST_RUN_ID } =
    process.env;
  if (!DATABASE_URL) throw new Error('DATABASE_URL is not set (vitest.config.ts sets a default)');
  if (!TEST_RUN_ID) throw new Error('TEST_RUN_ID is not set (vitest.config.ts sets it)');
  // The run creates and drops databases named after this one on its server.
  if (!/_test\b/.test(DATABASE_URL) && !process.env.TEST_DATABASE_IS_DISPOSABLE) {
    throw new Error(
      `refusing to create and drop databases beside ${DATABASE_URL}: the tests need a disposable *_test database`,
    );
  }
  await requireTestNamespace();
  const baseDatabase = databaseOf(DATABASE_URL);
  const abandoned = abandonedRunDatabases(
    await listDatabases(DATABASE_URL),
    baseDatabase,
    Date.now(),
    ABANDONED_AFTER_MS,
  );
  await dropDatabases(DATABASE_URL, abandoned);
  for (const dir of abandonedRunDirectories(
    await readdir(tmpdir()),
    Date.now(),
    ABANDONED_AFTER_MS,
  )) {
    await rm(path.join(tmpdir(), dir), { recursive: true, force: true });
  }
  const template = templateDatabaseName(baseDatabase, TEST_RUN_ID);
  const bundleDir = await mkdtemp(path.join(tmpdir(), `${RUN_DIRECTORY_PREFIX}${TEST_RUN_ID}-`));
  const workflowBundlePath = path.join(bundleDir, 'workflows.js');
  await Promise.all([
    createTemplate(DATABASE_URL, template),
    writeWorkflowBundle(workflowBundlePath),
  ]);
  const run: TestRun = {
    runId: TEST_RUN_ID,
    base: {
      DATABASE_URL,
      ES_INDEX_PREFIX: ES_INDEX_PREFIX ?? '',
      REDIS_KEY_PREFIX: REDIS_KEY_PREFIX ?? '',
      TASK_QUEUE_PREFIX: TASK_QUEUE_PREFIX ?? '',
    },
    templateDatabase: template,
    workflowBundlePath,
  };
  project.provide('testRun', run);

  return async () => {
    // Every file's names start with the run's (own-resources.ts).
    await removeTestResources({
      workflowIdPrefix: TASK_QUEUE_PREFIX ?? '',
      esIndexPrefix: ES_INDEX_PREFIX ?? '',
      redisKeyPrefix: REDIS_KEY_PREFIX ?? '',
      adminDatabaseUrl: DATABASE_URL,
      databases: (await listDatabases(DATABASE_URL)).filter((db) =>
        isRunDatabase(db, baseDatabase, TEST_RUN_ID),
      ),
    });
    await rm(bundleDir, { recursive: true, force: true });
  };
}
