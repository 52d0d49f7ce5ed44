// The command path of this checkout against another revision's, side by side: `npm start`'s
// process (API and workers in one process) from each checkout in turn, on the same stack and
// data, every round running both in rotated order. For changes that must not make the
// command path slower (the HTTP layer's move to Fastify was measured with it).
//
//   npx tsx bench/revision-ab.ts --base <git revision> [--rounds N] [--seconds N] [--clients N,M]
//
// Defaults: 3 rounds of 20 s cells after 5 s of warm-up, at 10 and 50 closed-loop clients
// sending orders.place then orders.complete; metrics and traces off on both sides. The base
// revision is checked out (git worktree, detached) under the user cache, with this
// checkout's node_modules. Data as the observability bench's: database orders_bench_obs,
// Elasticsearch prefix `benchobs-`, Redis db 4, task queues `benchobs-…` in orders-bench.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { printTable } from './command-path/stats';
import { prepareAppData, WRITER_TOKEN } from './observability/app-data';
import { type CellResult, measureCell } from './observability/cell';
import { startOtlpSink } from './observability/otlp-sink';
import { freePort } from './observability/ports';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '20' },
    clients: { type: 'string', default: '10,50' },
  },
});
if (!values.base) throw new Error('--base <git revision> is required');
const positive = (name: string, v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
};
const rounds = positive('rounds', values.rounds);
const seconds = positive('seconds', values.seconds);
const clientCounts = values.clients.split(',').map((c) => positive('clients', c));

const git = (...args: string[]) => execFileSync('git', args, { cwd: root }).toString().trim();
const baseCommit = git('rev-parse', `${values.base}^{commit}`);
const headCommit = git('rev-parse', 'HEAD');
const cache = process.env.XDG_CACHE_HOME ?? join(os.homedir(), '.cache');
const baseRoot = join(cache, 'order-reporting', 'bench-revisions', baseCommit.slice(0, 12));
if (!existsSync(baseRoot)) {
  mkdirSync(join(baseRoot, '..'), { recursive: true });
  git('worktree', 'add', '--detach', baseRoot, baseCommit);
  symlinkSync(join(root, 'node_modules'), join(baseRoot, 'node_modules'));
}

const SIDES = [
  { side: 'base', commit: baseCommit, appRoot: baseRoot },
  { side: 'head', commit: headCommit, appRoot: root },
] as const;
const baseEnv = await prepareAppData();

const began = new Date();
console.log(
  `revision A/B ${began.toISOString()}: base ${baseCommit.slice(0, 7)} vs head ${headCommit.slice(0, 7)}; ${rounds} round(s), ${seconds} s cells, clients ${clientCounts.join(', ')}`,
);
const sink = await startOtlpSink();
const results: (CellResult & { side: string; clients: number })[] = [];
try {
  for (const clients of clientCounts) {
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? SIDES : [...SIDES].reverse();
      for (const { side, appRoot } of order) {
        console.log(`${clients} clients, round ${round + 1}/${rounds}: ${side}`);
        const ports = {
          metrics: await freePort(),
          temporalMetrics: await freePort(),
          otlpUrl: sink.url,
        };
        const cell = await measureCell(
          'off',
          round,
          {
            seconds,
            warmupSeconds: 5,
            clients,
            baseEnv,
            writerToken: WRITER_TOKEN,
            temporalPort: 7233,
            appRoot,
          },
          ports,
          sink,
        );
        results.push({ ...cell, side, clients });
      }
    }
  }
} finally {
  await sink.close();
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};
const r2 = (n: number) => Math.round(n * 100) / 100;
printTable(
  'Every cell',
  ['clients', 'round', 'side', 'commands/s', 'p50 ms', 'p99 ms', 'app CPU ms/cmd', 'errors'],
  results.map((r) => [
    r.clients,
    r.round + 1,
    r.side,
    r2(r.commandsPerSecond),
    r2(r.latencyMs.p50),
    r2(r.latencyMs.p99),
    r2(r.appCpuMsPerCommand),
    Object.values(r.errors).reduce((a, b) => a + b, 0),
  ]),
);
const summary = clientCounts.flatMap((clients) => {
  const of = (side: string) => results.filter((r) => r.clients === clients && r.side === side);
  const stat = (side: string) => ({
    commandsPerSecond: median(of(side).map((r) => r.commandsPerSecond)),
    p50: median(of(side).map((r) => r.latencyMs.p50)),
    p99: median(of(side).map((r) => r.latencyMs.p99)),
    appCpu: median(of(side).map((r) => r.appCpuMsPerCommand)),
  });
  const base = stat('base');
  const head = stat('head');
  return [
    {
      clients,
      base,
      head,
      ratio: {
        commandsPerSecond: head.commandsPerSecond / base.commandsPerSecond,
        p50: head.p50 / base.p50,
        p99: head.p99 / base.p99,
        appCpu: head.appCpu / base.appCpu,
      },
    },
  ];
});
printTable(
  'Medians over rounds, and head / base',
  [
    'clients',
    'base cmd/s',
    'head cmd/s',
    'ratio',
    'base p50',
    'head p50',
    'ratio',
    'base p99',
    'head p99',
    'ratio',
    'app CPU ratio',
  ],
  summary.map((s) => [
    s.clients,
    r2(s.base.commandsPerSecond),
    r2(s.head.commandsPerSecond),
    r2(s.ratio.commandsPerSecond),
    r2(s.base.p50),
    r2(s.head.p50),
    r2(s.ratio.p50),
    r2(s.base.p99),
    r2(s.head.p99),
    r2(s.ratio.p99),
    r2(s.ratio.appCpu),
  ]),
);
const dir = fileURLToPath(new URL('results/', import.meta.url));
mkdirSync(dir, { recursive: true });
const file = join(dir, 'revision-ab.json');
writeFileSync(
  file,
  `${JSON.stringify({ startedAt: began.toISOString(), finishedAt: new Date().toISOString(), base: baseCommit, head: headCommit, machine: { cpus: os.cpus().length, node: process.version }, settings: { rounds, seconds, clients: clientCounts }, summary, results }, null, 2)}\n`,
);
console.log(`\nwrote ${file}`);
