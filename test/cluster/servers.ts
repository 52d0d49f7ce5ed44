import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { config, urlsOf } from '../../config/env';
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

const pidIn = (file: string): number => {
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no pid in ${file}`);
  return pid;
};

function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:port right now. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(2_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/** SIGKILL to a server's pid, proven: the process is gone and its port refuses. */
async function killServer(pid: number, port: number): Promise<void> {
  process.kill(pid, 'SIGKILL');
  await waitFor(`process ${pid} gone`, async () => (exists(pid) ? undefined : true), 30_000);
  if (await accepts(port)) throw new Error(`port ${port} still accepts after its server died`);
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

export interface ClusterNode {
  id: string;
  port: number;
  flags: string[];
  masterId: string | null;
}

const redisPorts = () =>
  (config().REDIS_CLUSTER_NODES ?? '').split(',').map((n) => Number(n.split(':').pop()));

/** A plain connection to one node (not the cluster client: this asks that node itself). */
async function askNode<T>(port: number, ask: (r: Redis) => Promise<T>): Promise<T> {
  const password = decodeURIComponent(new URL(config().REDIS_URL).password);
  const r = new Redis({
    host: '127.0.0.1',
    port,
    password,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
  });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await ask(r);
  } finally {
    r.disconnect();
  }
}

/** CLUSTER NODES as one node sees it. */
export async function clusterNodes(port: number): Promise<ClusterNode[]> {
  const text = await askNode(port, (r) => r.cluster('NODES') as Promise<string>);
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id = '', addr = '', flags = '', master = '-'] = line.split(' ');
      return {
        id,
        port: Number(addr.split('@')[0]?.split(':').pop()),
        flags: flags.split(','),
        masterId: master === '-' ? null : master,
      };
    });
}

/** ROLE as the node on `port` answers it: master or slave. */
export async function roleOf(port: number): Promise<string> {
  const role = (await askNode(port, (r) => r.call('ROLE'))) as unknown[];
  return String(role[0]);
}

export interface Failover {
  killedPort: number;
  promotedPort: number;
}

/**
 * Kills one primary with SIGKILL and waits for its replica to take over, proven: the
 * process is gone, the replica answers ROLE "master", the survivors flag the dead node
 * `fail`, and the cluster's state is ok again.
 */
export async function failOverPrimary(): Promise<Failover> {
  const [seed = 0, ...others] = redisPorts();
  const before = await clusterNodes(seed);
  // Not the node the checks ask: one of the others that is a primary now.
  const primary = before.find(
    (n) => n.flags.includes('master') && n.port !== seed && before.some((r) => r.masterId === n.id),
  );
  const replica = before.find((n) => n.masterId === primary?.id);
  if (!primary || !replica) throw new Error(`no primary with a replica among ${others.join()}`);
  if ((await roleOf(replica.port)) !== 'slave') throw new Error(`${replica.port} is no replica`);
  await killServer(pidIn(`${dataDir()}/run/redis-cluster-${primary.port}.pid`), primary.port);
  await waitFor(
    `replica ${replica.port} promoted`,
    async () => ((await roleOf(replica.port)) === 'master' ? true : undefined),
    60_000,
    250,
  );
  await waitFor(
    'the cluster agreeing on the failover',
    async () => {
      const seen = await clusterNodes(seed);
      const dead = seen.find((n) => n.id === primary.id);
      const promoted = seen.find((n) => n.id === replica.id);
      const info = await askNode(seed, (r) => r.cluster('INFO') as Promise<string>);
      return dead?.flags.includes('fail') &&
        promoted?.flags.includes('master') &&
        /cluster_state:ok/.test(info)
        ? true
        : undefined;
    },
    60_000,
    250,
  );
  return { killedPort: primary.port, promotedPort: replica.port };
}
