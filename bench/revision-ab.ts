// This checkout's command path against another revision's, side by side: `npm start`'s
// process from each checkout in turn, on the same stack and data, every round running both
// in rotated order. For changes that must not make the command path slower.
//
//   npm run bench -- revision-ab --base <git revision> [--rounds 3] [--seconds 20] [--clients 10,50]
//
// The base is checked out (git worktree, detached) under the user cache with this checkout's
// node_modules. Metrics and traces off on both sides; data as observability-overhead's.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AppCell, appCell } from './harness/app-cells';
import { APP_DATA, appEnvironment } from './harness/data-sets';
import { readFlags } from './harness/flags';
import { fmt, fmtAll, printTable, progress, writeResults } from './harness/output';
import { resetDataSet } from './harness/reset-data';
import { median, ratio } from './harness/stats';

const flags = readFlags(['base', 'rounds', 'seconds', 'clients']);
const base = flags.string('base');
if (!base) throw new Error('--base <git revision> is required');
const settings = {
  rounds: flags.int('rounds', 3),
  seconds: flags.int('seconds', 20),
  clients: flags.ints('clients', [10, 50]),
  warmupSeconds: 5,
};

const root = fileURLToPath(new URL('..', import.meta.url));
const git = (...args: string[]) => execFileSync('git', args, { cwd: root }).toString().trim();
const commits = { base: git('rev-parse', `${base}^{commit}`), head: git('rev-parse', 'HEAD') };
const cache = process.env.XDG_CACHE_HOME ?? join(os.homedir(), '.cache');
const baseRoot = join(cache, 'order-reporting', 'bench-revisions', commits.base.slice(0, 12));
if (!existsSync(baseRoot)) {
  mkdirSync(join(baseRoot, '..'), { recursive: true });
  git('worktree', 'add', '--detach', baseRoot, commits.base);
  symlinkSync(join(root, 'node_modules'), join(baseRoot, 'node_modules'));
}
const SIDES = [
  { side: 'base', cwd: baseRoot },
  { side: 'head', cwd: root },
] as const;

await resetDataSet(APP_DATA);
const env = { ...appEnvironment(APP_DATA), METRICS_ENABLED: 'false', OTEL_SDK_DISABLED: 'true' };
const cells: (AppCell & { side: string; clients: number; round: number })[] = [];
for (const clients of settings.clients) {
  for (let round = 0; round < settings.rounds; round++) {
    for (const { side, cwd } of round % 2 ? [...SIDES].reverse() : SIDES) {
      progress(`${clients} clients, round ${round + 1}: ${side}`);
      const cell = await appCell(env, { ...settings, clients }, { cwd });
      cells.push({ ...cell, side, clients, round });
    }
  }
}

printTable(
  `base ${commits.base.slice(0, 7)} vs head ${commits.head.slice(0, 7)}: every cell`,
  cells,
  {
    clients: (c) => c.clients,
    round: (c) => c.round + 1,
    side: (c) => c.side,
    'commands/s': (c) => c.commandsPerSecond,
    'p50 / p99 ms': (c) => fmtAll(c.latencyMs.p50, c.latencyMs.p99),
    'app CPU ms/cmd': (c) => c.appCpuMsPerCommand,
    errors: (c) => Object.values(c.errors).reduce((a, b) => a + b, 0),
  },
);
const summary = settings.clients.map((clients) => {
  const of = (side: string) => cells.filter((c) => c.clients === clients && c.side === side);
  const stat = (side: string) => ({
    commandsPerSecond: median(of(side).map((c) => c.commandsPerSecond)),
    p50: median(of(side).map((c) => c.latencyMs.p50)),
    p99: median(of(side).map((c) => c.latencyMs.p99)),
    appCpu: median(of(side).map((c) => c.appCpuMsPerCommand)),
  });
  const [b, h] = [stat('base'), stat('head')];
  const perRound = Array.from({ length: settings.rounds }, (_, round) => {
    const [x, y] = ['base', 'head'].map((side) => of(side).find((c) => c.round === round));
    return ratio(y?.commandsPerSecond ?? Number.NaN, x?.commandsPerSecond ?? Number.NaN);
  });
  return { clients, base: b, head: h, perRound };
});
type Stat = keyof (typeof summary)[number]['base'];
const change = (s: (typeof summary)[number], k: Stat) =>
  `${fmt(s.base[k])} → ${fmt(s.head[k])} (${fmt(ratio(s.head[k], s.base[k]))})`;
printTable('Medians over rounds: base → head (head / base)', summary, {
  clients: (s) => s.clients,
  'commands/s': (s) => change(s, 'commandsPerSecond'),
  'per round': (s) => s.perRound.join(', '),
  p50: (s) => change(s, 'p50'),
  p99: (s) => change(s, 'p99'),
  'app CPU ms/cmd': (s) => change(s, 'appCpu'),
});
writeResults('revision-ab', { commits, settings, summary, cells });
process.exit(0);
