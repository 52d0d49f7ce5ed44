import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// config() is parsed once per process: the SDK's metrics port is not bound (another process
// may hold it), and the workflows are this file's own.
vi.hoisted(() => {
  process.env.TEMPORAL_METRICS_PORT = '0';
  process.env.APPLY_SCHEDULES = 'false';
  process.env.TASK_QUEUE_PREFIX = `${process.env.TASK_QUEUE_PREFIX ?? 'test'}-boot`;
});

import { Client as EsClient } from '@elastic/elasticsearch';
import { config } from '../config/env';
import { createPool } from '../eventstore/pool';
import { bootWorkersWhenReachable } from '../temporal/bootstrap';
import { type Connections, openConnections } from '../temporal/connections';
import { createWorkers } from '../temporal/worker';

/** This process' established TCP connections to 127.0.0.1:`port` (its fds, /proc/net/tcp). */
function connectionsTo(port: number): number {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // closed between listing and reading
    }
  }
  const remote = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let n = 0;
  for (const line of readFileSync('/proc/self/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    // local, remote, state (01: established), …, inode
    if (fields[2] === remote && fields[3] === '01' && inodes.has(fields[9] ?? '')) n++;
  }
  return n;
}

const temporalPort = () => Number(config().TEMPORAL_ADDRESS.split(':').at(-1));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let connections: Connections;
/** The real servers, with Elasticsearch on a closed local port (nothing listens on port 1). */
let esDown: Connections;
beforeAll(async () => {
  connections = await openConnections();
  // No retries of its own: each start attempt fails at once, as the boot's backoff is timed.
  const es = new EsClient({ node: 'http://127.0.0.1:1', maxRetries: 0 });
  esDown = { ...connections, es };
  // The shared client's own connection is open before any count.
  await connections.temporal.connection.ensureConnected();
});
afterAll(async () => {
  await esDown?.es.close();
  await connections?.close();
});

describe('workers that cannot start while Elasticsearch is down', () => {
  // First: it installs the SDK's runtime, as npm start does (once per process).
  it('npm start’s boot retries (1 s, 2 s, 4 s …) without piling up connections, and stops clean', async () => {
    const before = connectionsTo(temporalPort());
    const boot = bootWorkersWhenReachable(['projections'], esDown);
    // Attempts at about 0, 1, 3 and 7 s.
    await sleep(7_500);
    const retrying = connectionsTo(temporalPort()) - before;
    await boot.shutdown();
    const stopped = connectionsTo(temporalPort()) - before;
    // At most one attempt's connection may be open while it runs; none once stopped.
    expect(retrying, 'Temporal connections open while retrying').toBeLessThanOrEqual(1);
    expect(stopped, 'Temporal connections left once stopped').toBe(0);
  }, 30_000);

  it('a failed start closes what it opened: no Temporal connection or worker is left behind', async () => {
    const before = connectionsTo(temporalPort());
    for (let i = 0; i < 3; i++) {
      await expect(createWorkers(['commands', 'projections'], esDown)).rejects.toThrow(
        /127\.0\.0\.1:1|ECONNREFUSED/,
      );
    }
    expect(connectionsTo(temporalPort()) - before, 'Temporal connections left').toBe(0);
  });
});

describe('workers whose start fails after they were created', () => {
  it('a failure after both workers exist (the event store unreachable for the projectors) runs them down and closes their connection', async () => {
    const unreachable = createPool('postgresql://orders:orders@127.0.0.1:1/orders', 2);
    try {
      const before = connectionsTo(temporalPort());
      for (let i = 0; i < 2; i++) {
        await expect(
          createWorkers(['commands', 'projections'], { ...connections, pool: unreachable }),
        ).rejects.toThrow(/ECONNREFUSED/);
      }
      expect(connectionsTo(temporalPort()) - before, 'Temporal connections left').toBe(0);
    } finally {
      await unreachable.end();
    }
  }, 60_000);
});
