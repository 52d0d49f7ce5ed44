// Temporal's own floor: a one-activity workflow (test/fixtures/ping-workflow.ts) run N times
// with C in flight, R rounds after a warm-up, on each server in turn: the stack's (SQLite
// file, WAL), an in-memory dev server and the standalone server on PostgreSQL.
//
//   npm run bench -- temporal-floor [--rounds 3] [--workflows 200] [--concurrency 20]
//                                   [--servers sqlite,memory,postgres] [--quick]
import { randomUUID } from 'node:crypto';
import type { pingWorkflow } from '../test/fixtures/ping-workflow';
import { cleanupMark, runCleanups } from './harness/cleanups';
import { readFlags } from './harness/flags';
import { printTable, progress, writeResults } from './harness/output';
import { median, ratio, summarize } from './harness/stats';
import {
  connectClient,
  runFixtureWorker,
  SERVER_KINDS,
  startTemporalServer,
} from './harness/temporal-servers';

const flags = readFlags(['rounds', 'workflows', 'concurrency', 'servers']);
const settings = {
  rounds: flags.int('rounds', flags.quick ? 1 : 3),
  workflows: flags.int('workflows', flags.quick ? 100 : 200),
  concurrency: flags.int('concurrency', 20),
  servers: flags.list('servers', SERVER_KINDS, ['sqlite', 'memory', 'postgres']),
};
const FIXTURE = new URL('../test/fixtures/ping-workflow.ts', import.meta.url);

const results = [];
for (const kind of settings.servers) {
  const mark = cleanupMark();
  progress(`${kind}: ${settings.rounds} round(s) of ${settings.workflows} workflows`);
  const server = await startTemporalServer(kind);
  const client = await connectClient(server.address);
  const taskQueue = `bench-floor-${randomUUID()}`;
  await runFixtureWorker(server.address, taskQueue, FIXTURE, {
    greet: async (name: string) => `hello ${name}`,
  });
  const round = async (count: number) => {
    const latencies: number[] = [];
    const begin = performance.now();
    let started = 0;
    const lane = async () => {
      while (started++ < count) {
        const t = performance.now();
        await client.workflow.execute<typeof pingWorkflow>('pingWorkflow', {
          taskQueue,
          workflowId: `${taskQueue}-${randomUUID()}`,
          args: ['bench'],
        });
        latencies.push(performance.now() - t);
      }
    };
    await Promise.all(Array.from({ length: Math.min(count, settings.concurrency) }, lane));
    return { perSecond: count / ((performance.now() - begin) / 1000), latencies };
  };
  await round(20); // warm-up: connections, caches, the workflow bundle
  const rounds = [];
  for (let r = 0; r < settings.rounds; r++) rounds.push(await round(settings.workflows));
  const perSecond = rounds.map((r) => r.perSecond);
  const latency = summarize(rounds.flatMap((r) => r.latencies));
  results.push({
    server: kind,
    address: server.address,
    perSecond,
    median: median(perSecond),
    latency,
  });
  await runCleanups(mark);
}

const sqlite = results.find((r) => r.server === 'sqlite')?.median ?? Number.NaN;
printTable(
  `One-activity workflows, ${settings.concurrency} in flight (latency over all rounds)`,
  results,
  {
    server: (r) => r.server,
    'workflows/s per round': (r) => r.perSecond.map((x) => x.toFixed(1)).join(', '),
    'median/s': (r) => r.median,
    'p50 ms': (r) => r.latency.p50,
    'p95 ms': (r) => r.latency.p95,
    'p99 ms': (r) => r.latency.p99,
    'vs SQLite': (r) => ratio(r.median, sqlite),
  },
);
writeResults('temporal-floor', { settings, results });
process.exit(0);
