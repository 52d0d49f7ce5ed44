import { Client as EsClient } from '@elastic/elasticsearch';
import { Cluster } from 'ioredis';
import {
  elasticsearchOptions,
  redisNodeOptions,
  redisTlsOptions,
  redisTopology,
} from '../../config/client-options';
import { config } from '../../config/env';
import { connectRedis, primariesOf } from '../../projections/redis';
import { createTemporalClient } from '../../temporal/client';
import { dropDatabases } from './test-databases';

/** What a test file (or a whole run) leaves on the servers, by name. */
export interface TestResources {
  /** Every workflow and schedule id of it starts with this. */
  workflowIdPrefix: string;
  esIndexPrefix: string;
  redisKeyPrefix: string;
  /** A connection string to a database that stays (the run's base test database). */
  adminDatabaseUrl: string;
  databases: string[];
}

/** Runs `work` over `items`, at most `concurrency` at a time. */
async function eachAtMost<T>(
  items: T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  const queue = [...items];
  const lanes = Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  });
  await Promise.all(lanes);
}

/**
 * Workflows that never end by themselves (the projectors, partitions, parked orders) would
 * otherwise stay in the Temporal server, waiting for workers that are gone.
 */
async function terminateWorkflows(prefix: string): Promise<void> {
  const client = await createTemporalClient();
  try {
    const query = `ExecutionStatus = 'Running' AND WorkflowId STARTS_WITH '${prefix}'`;
    const running: { workflowId: string; runId: string }[] = [];
    for await (const wf of client.workflow.list({ query })) running.push(wf);
    await eachAtMost(running, 8, (wf) =>
      client.workflow
        .getHandle(wf.workflowId, wf.runId)
        .terminate('test finished')
        .then(
          () => undefined,
          () => undefined,
        ),
    );
  } finally {
    await client.connection.close();
  }
}

/** Names grouped so that each group, comma-separated, stays within `bytes`. */
function inLinesOf(names: string[], bytes: number): string[][] {
  const groups: string[][] = [];
  let group: string[] = [];
  let length = 0;
  for (const name of names) {
    if (group.length > 0 && length + name.length + 1 > bytes) {
      groups.push(group);
      group = [];
      length = 0;
    }
    group.push(name);
    length += name.length + 1;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

async function deleteIndices(prefix: string): Promise<void> {
  const es = new EsClient(elasticsearchOptions(config()));
  try {
    // By name: ES refuses wildcard deletes (action.destructive_requires_name).
    const indices = Object.keys(
      await es.indices.get({ index: `${prefix}*`, allow_no_indices: true }),
    );
    // A few at a time: Elasticsearch refuses a request line over 4 KiB, and a full run
    // leaves more indices than one line names.
    for (const names of inLinesOf(indices, 3_000)) {
      await es.indices.delete({ index: names, ignore_unavailable: true });
    }
    const templates = await es.indices.getIndexTemplate({ name: `${prefix}*` }, { ignore: [404] });
    for (const t of templates.index_templates ?? []) {
      await es.indices.deleteIndexTemplate({ name: t.name }, { ignore: [404] });
    }
  } finally {
    await es.close();
  }
}

/** On every primary of a cluster, or the one Redis; key by key (a cluster refuses CROSSSLOT). */
async function deleteKeys(prefix: string): Promise<void> {
  const c = config();
  const topology = redisTopology(c);
  const redis = connectRedis(
    topology,
    topology.kind === 'single' ? redisTlsOptions(c) : redisNodeOptions(c),
  );
  try {
    // A cluster names its primaries once it has loaded the slots.
    if (redis instanceof Cluster && redis.status !== 'ready') {
      await new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error('Redis Cluster not ready in 10 s')),
          10_000,
        );
        redis.once('ready', () => {
          clearTimeout(timer);
          resolve(undefined);
        });
      });
    }
    for (const primary of primariesOf(redis)) {
      let cursor = '0';
      do {
        const [next, keys] = await primary.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        await Promise.all(keys.map((key) => primary.unlink(key)));
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}

/**
 * Removes everything named after the prefixes, and the databases. An empty prefix would
 * name everything on the server: that kind is left alone.
 */
export async function removeTestResources(r: TestResources): Promise<void> {
  const results = await Promise.allSettled([
    r.workflowIdPrefix ? terminateWorkflows(r.workflowIdPrefix) : undefined,
    r.esIndexPrefix ? deleteIndices(r.esIndexPrefix) : undefined,
    r.redisKeyPrefix ? deleteKeys(r.redisKeyPrefix) : undefined,
    dropDatabases(r.adminDatabaseUrl, r.databases),
  ]);
  const failed = results.filter((x): x is PromiseRejectedResult => x.status === 'rejected');
  if (failed.length > 0) throw new AggregateError(failed.map((f) => f.reason));
}
