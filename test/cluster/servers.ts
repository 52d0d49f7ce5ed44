import { config, urlsOf } from '../../config/env';
import { type ClusterAccess, killServer, pidIn } from '../support/redis-failover';
import { waitFor } from '../support/wait';

// The cluster tier's servers, read and struck as an operator would see them: Elasticsearch
// through its _cat APIs, Redis through CLUSTER NODES and ROLE, processes by their pid files
// in the stack's data dir (scripts/test-cluster.sh sets STACK_DATA_DIR).

function dataDir(): string {
  const dir = process.env.STACK_DATA_DIR;
  if (!dir || process.env.CLUSTER_STACK !== '1') {
    throw new Error('not on the cluster stack: run `npm run test:cluster` (it kills servers)');
  }
  return dir;
}

// ---------------------------------------------------------------- Elasticsearch

/** The cluster's nodes' HTTP addresses, from ELASTICSEARCH_URL (the first is master). */
export const esUrls = () => urlsOf(config().ELASTICSEARCH_URL);

async function esGet<T>(path: string, node = esUrls()[0]): Promise<T> {
  const res = await fetch(`${node}${path}`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export async function esNodeNames(): Promise<string[]> {
  const nodes = await esGet<{ name: string }[]>('/_cat/nodes?format=json&h=name');
  return nodes.map((n) => n.name).sort();
}

export interface Shard {
  index: string;
  prirep: 'p' | 'r';
  state: string;
  node: string | null;
}

/** Every copy of every shard of the indices starting with `prefix`. */
export async function esShards(prefix: string): Promise<Shard[]> {
  return esGet<Shard[]>(`/_cat/shards/${prefix}*?format=json&h=index,prirep,state,node`);
}

export async function esHealth(): Promise<{ status: string; number_of_nodes: number }> {
  return esGet('/_cluster/health');
}

/** SIGKILL to the second node; proven gone, its port refusing, and out of the cluster. */
export async function killSecondEsNode(): Promise<void> {
  const port = Number(new URL(esUrls()[1] ?? '').port);
  await killServer(pidIn(`${dataDir()}/elasticsearch-2/es.pid`), port);
  await waitFor(
    'the first node to see the second leave',
    async () => ((await esNodeNames()).join() === 'local' ? true : undefined),
    60_000,
    500,
  );
}

// ---------------------------------------------------------------- Redis Cluster

/** The tier's cluster: the nodes REDIS_CLUSTER_NODES names, the password of REDIS_URL. */
export function clusterAccess(): ClusterAccess {
  return {
    ports: (config().REDIS_CLUSTER_NODES ?? '').split(',').map((n) => Number(n.split(':').pop())),
    password: decodeURIComponent(new URL(config().REDIS_URL).password),
    runDir: `${dataDir()}/run`,
  };
}
