import { Client as EsClient } from '@elastic/elasticsearch';
import { Redis } from 'ioredis';
import { config } from '../config/env';
import { createPool, migrate } from '../eventstore';
import { createTemporalClient } from '../temporal/client';

/**
 * Workflows of this run that never end by themselves (the projectors, parked orders) would
 * otherwise stay in the Temporal server, waiting for workers that are gone.
 */
async function stopRunningWorkflows(): Promise<void> {
  const client = await createTemporalClient();
  try {
    // Every workflow id of the run carries its prefix, also those of files with their own
    // suffix (report-timezone, api-fuzz).
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

// The test database gets the same migrations as `npm start`, and starts empty: tests that
// read the whole store (rebuild) must not depend on what earlier runs left.
export default async function setup(): Promise<() => Promise<void>> {
  const { DATABASE_URL, ELASTICSEARCH_URL, REDIS_URL, ES_INDEX_PREFIX, REDIS_KEY_PREFIX } =
    process.env;
  if (!DATABASE_URL) throw new Error('DATABASE_URL is not set (vitest.config.ts sets a default)');
  if (!/_test\b/.test(DATABASE_URL) && !process.env.TEST_DATABASE_IS_DISPOSABLE) {
    throw new Error(
      `refusing to empty ${DATABASE_URL}: the tests need a disposable *_test database`,
    );
  }
  await requireTestNamespace();
  const pool = createPool(DATABASE_URL, 1);
  try {
    await migrate(pool);
    await pool.query(
      'truncate events, streams, commands, command_refusals, projection_checkpoints, reconciliations',
    );
  } finally {
    await pool.end();
  }

  return async () => {
    await stopRunningWorkflows();
    const es = new EsClient({ node: ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200' });
    const redis = new Redis(REDIS_URL ?? 'redis://:orders@127.0.0.1:6379/1');
    try {
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
