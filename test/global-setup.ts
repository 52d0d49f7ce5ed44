import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client as EsClient } from '@elastic/elasticsearch';
import { Redis } from 'ioredis';
import type { TestProject } from 'vitest/node';
import { config } from '../config/env';
import { createPool, migrate } from '../eventstore';
import { createTemporalClient } from '../temporal/client';
import { writeWorkflowBundle } from '../temporal/worker';
import { createDatabase, dropDatabases, listDatabases } from './support/test-databases';
import {
  abandonedRunDatabases,
  databaseOf,
  isRunDatabase,
  type TestRun,
  templateDatabaseName,
  withDatabase,
} from './support/test-run';

/**
 * Workflows of this run that never end by themselves (the projectors, parked orders) would
 * otherwise stay in the Temporal server, waiting for workers that are gone.
 */
async function stopRunningWorkflows(): Promise<void> {
  const client = await createTemporalClient();
  try {
    // Every workflow id of the run carries its prefix: each file's prefix starts with it.
    const query = `ExecutionStatus = 'Running' AND WorkflowId STARTS_WITH '${config().TASK_QUEUE_PREFIX}'`;
    for await (const wf of client.workflow.list({ query })) {
      await client.workflow
        .getHandle(wf.workflowId, wf.runId)
        .terminate('test run finished')
        .catch(() => undefined);
    }
  } finally {
    await client.connection.close();
  }
}

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
  const {
    DATABASE_URL,
    ELASTICSEARCH_URL,
    REDIS_URL,
    ES_INDEX_PREFIX,
    REDIS_KEY_PREFIX,
    TASK_QUEUE_PREFIX,
    TEST_RUN_ID,
  } = process.env;
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
  const template = templateDatabaseName(baseDatabase, TEST_RUN_ID);
  const bundleDir = await mkdtemp(path.join(tmpdir(), `order-reporting-test-${TEST_RUN_ID}-`));
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
    await stopRunningWorkflows();
    const es = new EsClient({ node: ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200' });
    const redis = new Redis(REDIS_URL ?? 'redis://:orders@127.0.0.1:6379/1');
    try {
      const ofRun = (await listDatabases(DATABASE_URL)).filter((db) =>
        isRunDatabase(db, baseDatabase, TEST_RUN_ID),
      );
      await dropDatabases(DATABASE_URL, ofRun);
      await rm(bundleDir, { recursive: true, force: true });
      if (ES_INDEX_PREFIX) {
        // By name: ES refuses wildcard deletes (action.destructive_requires_name).
        const indices = Object.keys(
          await es.indices.get({ index: `${ES_INDEX_PREFIX}*`, allow_no_indices: true }),
        );
        if (indices.length > 0)
          await es.indices.delete({ index: indices, ignore_unavailable: true });
        const templates = await es.indices.getIndexTemplate(
          { name: `${ES_INDEX_PREFIX}*` },
          { ignore: [404] },
        );
        for (const t of templates.index_templates ?? []) {
          await es.indices.deleteIndexTemplate({ name: t.name }, { ignore: [404] });
        }
      }
      if (REDIS_KEY_PREFIX) {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(
            cursor,
            'MATCH',
            `${REDIS_KEY_PREFIX}*`,
            'COUNT',
            1000,
          );
          cursor = next;
          if (keys.length > 0) await redis.unlink(...keys);
        } while (cursor !== '0');
      }
    } finally {
      await es.close();
      redis.disconnect();
    }
  };
}
