import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { accepts } from './tcp-probe';
import { waitFor } from './wait';

export { accepts };

// A Redis Cluster's nodes as an operator sees them (CLUSTER NODES, ROLE, each node asked
// itself, not through the cluster client), and a primary lost on purpose: SIGKILL to the
// server whose pid file scripts/stack.sh wrote, then its replica's promotion, proven.

/** The pid in a server's pid file. */
export const pidIn = (file: string): number => {
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no pid in ${file}`);
  return pid;
};

export function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/** SIGKILL to a server's pid, proven: the process is gone and its port refuses. */
export async function killServer(pid: number, port: number): Promise<void> {
  process.kill(pid, 'SIGKILL');
  await waitFor(`process ${pid} gone`, async () => (exists(pid) ? undefined : true), 30_000);
  if (await accepts(port)) throw new Error(`port ${port} still accepts after its server died`);
}

/** How to reach a cluster's nodes on 127.0.0.1, and where the stack keeps their pid files. */
export interface ClusterAccess {
  /** Ports of some nodes; the first is the one asked about the others. */
  ports: number[];
  password: string;
  /** scripts/stack.sh's run dir (`$STACK_DATA_DIR/run`). */
  runDir: string;
}

export interface ClusterNode {
  id: string;
  port: number;
  flags: string[];
  masterId: string | null;
}

/** A plain connection to one node (not the cluster client: this asks that node itself). */
async function askNode<T>(
  access: ClusterAccess,
  port: number,
  ask: (r: Redis) => Promise<T>,
): Promise<T> {
  const r = new Redis({
    host: '127.0.0.1',
    port,
    password: access.password,
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

/** CLUSTER NODES as the node on `port` sees it. */
export async function clusterNodes(access: ClusterAccess, port: number): Promise<ClusterNode[]> {
  const text = await askNode(access, port, (r) => r.cluster('NODES') as Promise<string>);
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
export async function roleOf(access: ClusterAccess, port: number): Promise<string> {
  const role = (await askNode(access, port, (r) => r.call('ROLE'))) as unknown[];
  return String(role[0]);
}

/** How many keys starting with `prefix` the node on `port` holds. */
export async function keysOn(access: ClusterAccess, port: number, prefix: string) {
  return askNode(access, port, async (r) => {
    let count = 0;
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      count += keys.length;
    } while (cursor !== '0');
    return count;
  });
}

export interface Failover {
  killedPort: number;
  promotedPort: number;
}

/**
 * Kills one primary with SIGKILL and waits for its replica to take over, proven: the
 * process is gone, the replica answers ROLE "master", the node asked flags the dead one
 * `fail`, and the cluster's state is ok again.
 */
export async function failOverPrimary(access: ClusterAccess): Promise<Failover> {
  const seed = access.ports[0] ?? 0;
  const before = await clusterNodes(access, seed);
  // Not the node asked: another primary that has a replica.
  const primary = before.find(
    (n) => n.flags.includes('master') && n.port !== seed && before.some((r) => r.masterId === n.id),
  );
  const replica = before.find((n) => n.masterId === primary?.id);
  if (!primary || !replica) throw new Error(`no primary with a replica: ${JSON.stringify(before)}`);
  if ((await roleOf(access, replica.port)) !== 'slave') {
    throw new Error(`${replica.port} is no replica`);
  }
  // A replica stands for election only with data recent enough (cluster-replica-validity-
  // factor): one of a cluster just created that has not finished its first sync never does,
  // and the killed primary's slots stayed down (seen: no promotion in 60 s).
  await waitFor(
    `replica ${replica.port} in sync with its primary`,
    async () => {
      const info = await askNode(access, replica.port, (r) => r.info('replication'));
      return /master_link_status:up/.test(info) && /master_sync_in_progress:0/.test(info)
        ? true
        : undefined;
    },
    30_000,
    250,
  );
  await killServer(pidIn(`${access.runDir}/redis-cluster-${primary.port}.pid`), primary.port);
  await waitFor(
    `replica ${replica.port} promoted`,
    async () => ((await roleOf(access, replica.port)) === 'master' ? true : undefined),
    60_000,
    250,
  );
  await waitFor(
    'the cluster agreeing on the failover',
    async () => {
      const seen = await clusterNodes(access, seed);
      const dead = seen.find((n) => n.id === primary.id);
      const promoted = seen.find((n) => n.id === replica.id);
      const info = await askNode(access, seed, (r) => r.cluster('INFO') as Promise<string>);
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
