import { type ChildProcess, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config } from '../../config/env';
import { monthIn } from '../../domain/report-months';
import { reconcileMonth } from '../../projections/reconcile';
import { type Connections, openConnections } from '../../temporal/connections';
import { type AppProcess, startAppProcess } from '../support/app-process';
import type { Failure } from '../support/command-calls';
import { assertExactlyOnce, assertReconciled } from '../support/load-checks';
import { accepts, clusterNodes, failOverPrimary, keysOn } from '../support/redis-failover';
import { waitFor } from '../support/wait';
import { killHard, startWorkerProcess } from '../support/worker-process';
import { countByType, startClusterLoad } from './load';
import { assertOneCommandRecordEach, type Gap, readModelGaps } from './read-models';
import { readReport, startReader } from './reader';
import { clusterAccess, esHealth, esNodeNames, esShards, killSecondEsNode } from './servers';

// Two API and two worker processes — the app's own entry points, configured by the
// environment alone (scripts/test-cluster.sh) — on a Redis Cluster, two Elasticsearch nodes,
// Temporal and PostgreSQL. Under load through both APIs one node of each part is lost, each
// loss proven; then every acknowledged command is stored once and every read model agrees
// with the event store.

const run = promisify(execFile);
const CURRENCY = 'CHF';
const WORKER_LOG = `${process.env.STACK_DATA_DIR}/logs/cluster-workers.log`;

let connections: Connections;
const workers: ChildProcess[] = [];
const apis: AppProcess[] = [];

beforeAll(async () => {
  // One after the other: the first creates the indices, and two cores boot one at a time.
  for (let i = 0; i < 2; i++) workers.push(await startWorkerProcess({ log: WORKER_LOG }));
  for (let i = 0; i < 2; i++) apis.push(await startAppProcess('api/main.ts', {}));
  connections = await openConnections('api');
}, 300_000);

afterAll(async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGTERM');
  await Promise.all(apis.map((a) => a.stop()));
  await connections?.close();
});

function steps(): (step: string) => void {
  const began = Date.now();
  return (step) => console.info(`[cluster] +${((Date.now() - began) / 1000).toFixed(1)} s ${step}`);
}

describe('the cluster tier', () => {
  it('runs on the clusters it claims: 2 Elasticsearch nodes with a replica of every shard, 3 Redis primaries with a replica each, in-flight updates shared by 2 APIs', async () => {
    expect(await esNodeNames()).toEqual(['local', 'local-2']);
    await waitFor('Elasticsearch green', async () =>
      (await esHealth()).status === 'green' ? true : undefined,
    );
    const shards = await esShards(config().ES_INDEX_PREFIX);
    expect(shards.length).toBeGreaterThan(0);
    for (const index of new Set(shards.map((s) => s.index))) {
      const copies = shards.filter((s) => s.index === index);
      // The default (auto-expand 0-1) gives one replica once a second node is there.
      expect(copies.map((c) => `${c.prirep} ${c.state}`).sort(), index).toEqual([
        'p STARTED',
        'r STARTED',
      ]);
      expect(new Set(copies.map((c) => c.node)).size, index).toBe(2);
    }
    const access = clusterAccess();
    const nodes = await clusterNodes(access, access.ports[0] ?? 0);
    const primaries = nodes.filter((n) => n.flags.includes('master'));
    expect(primaries).toHaveLength(3);
    for (const p of primaries) expect(nodes.filter((n) => n.masterId === p.id)).toHaveLength(1);
    // API_PROCESSES=2: each API keeps 1 update (an array of its queued commands) in flight
    // per partition, 2 together, under the server's 10 (up to 9 processes would fit).
    expect(config().API_PROCESSES).toBe(2);
    expect(config().COMMAND_INFLIGHT_PER_PARTITION).toBe(1);
  });

  it('loses an Elasticsearch node, a Redis primary, a worker and an API under load: every acknowledged command once, every read model complete, reconcile clean', async () => {
    const step = steps();
    const [api0, api1] = apis;
    const [worker0] = workers;
    if (!api0 || !api1 || !worker0) throw new Error('the processes did not start');
    const load = startClusterLoad([api0.url, api1.url], 6, CURRENCY);
    const month = monthIn(new Date(), config().REPORT_TIMEZONE);
    const reader = startReader([api0.url, api1.url], { month, currency: CURRENCY });
    // The load goes on through the survivors: after each loss is proven, every client has
    // commands acknowledged again, and the reader a report.
    const continuing = async (what: string) => {
      const since = Date.now();
      await waitFor(
        `every client acknowledged after ${what}`,
        async () =>
          load.everyClientAckedSince(since, 2) && reader.answeredSince(since) ? true : undefined,
        120_000,
        250,
      );
      step(`${what}: every client had 2 commands acknowledged since, and a report read`);
    };
    let killedApiAt = 0;
    try {
      await continuing('the start');
      // Both APIs took commands before anything failed.
      const served = new Set(load.result.acked.map((a) => a.url));
      expect(served).toEqual(new Set([api0.url, api1.url]));

      await killSecondEsNode();
      // Every shard still served: one copy of each was on the surviving node.
      expect((await esHealth()).status).not.toBe('red');
      step(
        'Elasticsearch node local-2 killed: gone, its port refuses, the cluster lists local alone',
      );
      await continuing('the Elasticsearch node loss');

      const failover = await failOverPrimary(clusterAccess());
      // The promoted node holds this run's keys: the loss hit data the app uses.
      const onPromoted = await keysOn(
        clusterAccess(),
        failover.promotedPort,
        config().REDIS_KEY_PREFIX,
      );
      expect(onPromoted).toBeGreaterThan(0);
      step(
        `Redis primary ${failover.killedPort} killed; replica ${failover.promotedPort} (holding this run's keys) answers ROLE master, the others flag the dead one fail, cluster_state ok`,
      );
      await continuing('the Redis failover');

      await killHard(worker0);
      step(`worker ${worker0.pid} killed by SIGKILL: gone`);
      await continuing('the worker kill');

      killedApiAt = Date.now();
      await killHard(api0.child);
      await expect(fetch(`${api0.url}/livez`)).rejects.toThrow();
      expect(await accepts(Number(new URL(api0.url).port))).toBe(false);
      step(`API ${api0.url} killed by SIGKILL: gone, its requests fail`);
      await continuing('the API kill');
    } finally {
      const result = await load.stop();
      const reads = await reader.stop();
      step(
        `load stopped: ${result.acked.length} acknowledged ${JSON.stringify(countByType(result.acked))}, ${result.failures.length} failed attempts, ${reads.ok} reports read, ${reads.failures.length} reads failed`,
      );
    }
    const result = load.result;
    // What callers may see: their API gone (the request refused, reset or unanswered) —
    // then the same commandId on the other API — or a 503 asking for that very retry.
    const allowed = (f: Failure) =>
      ((f.kind === 'network' || f.kind === 'timeout') &&
        f.url === api0.url &&
        f.sentAt + f.durationMs >= killedApiAt) ||
      (f.kind === '503 SERVICE_UNAVAILABLE' && /retry with the same commandId/.test(f.message));
    const unexpected = [...result.failures, ...reader.failures].filter((f) => !allowed(f));
    expect(unexpected, JSON.stringify(unexpected.slice(0, 5))).toEqual([]);
    expect(result.abandoned).toEqual([]);
    // The contract, exercised: a command whose API died was acknowledged by the other.
    const movedOver = result.acked.filter(
      (a) =>
        a.url === api1.url &&
        result.failures.some((f) => f.commandId === a.commandId && f.url === api0.url),
    );
    expect(movedOver.length).toBeGreaterThan(0);

    await assertExactlyOnce({ connections }, result.acked);
    await assertOneCommandRecordEach({ connections }, result.acked);
    step('every acknowledged command stored once (events and commands rows)');

    let gaps: Gap[] = [];
    await waitFor(
      'every read model complete',
      async () => {
        gaps = await readModelGaps({ connections }, result.acked);
        return gaps.length === 0 ? true : undefined;
      },
      180_000,
      1_000,
    ).catch((err: Error) => {
      throw new Error(
        `${err.message}: ${gaps.length} orders differ, e.g. ${JSON.stringify(gaps.slice(0, 3))}`,
      );
    });
    step('Elasticsearch documents and the Redis order cache match the store, order by order');

    // The report cache, filled through the surviving API, must hold what a fresh
    // computation from the event store gives (reconcile compares the cached entries too).
    for (const view of ['restated', 'booked'] as const) {
      const first = await readReport(api1.url, { month, currency: CURRENCY, view });
      const cached = await readReport(api1.url, { month, currency: CURRENCY, view });
      expect(cached).toEqual(first);
    }
    await assertReconciled({ connections }, result.acked);
    const c = config();
    const reconciled = await reconcileMonth(
      {
        ...connections,
        esPrefix: c.ES_INDEX_PREFIX,
        redisPrefix: c.REDIS_KEY_PREFIX,
        timeZone: c.REPORT_TIMEZONE,
      },
      month,
    );
    expect(reconciled.differences).toEqual([]);
    expect(reconciled.checked.cache).toBeGreaterThan(0);
    // The operators' command agrees: exit 0 is "no difference".
    const cli = await run(process.execPath, ['--import', 'tsx', 'scripts/reconcile.ts', month], {
      env: process.env,
    });
    step(`reconcile clean (report cache, live reports): ${cli.stdout.trim().split('\n').pop()}`);
  });
});
