// The tables of a command-path run: every cell, where a command's time and CPU go, each
// command path against the engine's floor with its projection lag and the issues' targets,
// and the command load alone against the same load with reports next to it.
import { READ_MODELS } from '../../domain/read-models';
import { fmt, fmtAll, printTable } from '../harness/output';
import { ratio } from '../harness/stats';
import type { CommandCell } from './command-cells';
import { PHASES } from './engine-costs';
import type { emptyWorkflowCell, eventStoreCell } from './floors';

type Cell =
  | CommandCell
  | Awaited<ReturnType<typeof emptyWorkflowCell>>
  | Awaited<ReturnType<typeof eventStoreCell>>;
const name = (c: Cell) => ('path' in c ? `${c.scenario} (${c.path})` : c.scenario);
const errors = (e: Record<string, number>) => Object.values(e).reduce((a, b) => a + b, 0);
const perModel = (f: (m: (typeof READ_MODELS)[number]) => number | undefined) =>
  READ_MODELS.map((m) => fmt(f(m) ?? Number.NaN)).join(' / ');
/** The cell of `scenario` (and `path`) on the same server, with as many clients as `c`. */
function beside<T extends Cell>(cells: T[], c: Cell, scenario: string, path?: string) {
  const same = (x: Cell) => x.server === c.server && x.connections === c.connections;
  return cells.find(
    (x) => x.scenario === scenario && same(x) && (!path || ('path' in x && x.path === path)),
  );
}
const CORES = [
  'bench',
  'app',
  'workers',
  'temporal',
  'postgres',
  'elasticsearch',
  'redis',
  'other',
  'machine',
];

/** Issue 10's targets (each path) and issue 17's (the partitioned path against the floor). */
function verdict(c: CommandCell, floor: number): string {
  const met = (ok: boolean, what: string) =>
    `${what} ${Number.isNaN(floor) && what.includes('floor') ? '(no floor cell)' : ok ? 'met' : 'NOT met'}`;
  const p = 'partitionHistory' in c ? c.partitionHistory : undefined;
  const b = 'breakdown' in c ? c.breakdown : undefined;
  const events = p ? p.eventsPerCommand : (b?.historyEventsRange[1] ?? Number.NaN);
  const tasks = p ? p.workflowTasksPerCommand : (b?.workflowTasksRange[1] ?? Number.NaN);
  const lagP99 = c.connections <= 10 ? 1_000 : 2_000;
  const out = [
    met(c.perSecond / floor >= 0.8, 'ours/floor ≥ 0.8'),
    met(c.lag.ms.p50 <= 150 && c.lag.ms.p99 <= lagP99 && c.lag.timeouts === 0, 'lag'),
    met(events <= 10 && tasks <= 1, '≤ 10 events, 1 task'),
  ];
  if (c.path === 'partitioned') {
    const times = c.connections >= 50 ? 3 : 2;
    out.push(met(c.perSecond / floor >= times, `≥ ${times}× floor`));
    if (c.connections >= 50) out.push(met(c.latencyMs.p99 <= 1_000, 'p99 ≤ 1 s'));
  }
  return out.join(', ');
}

export function printCells(cells: Cell[]): void {
  printTable('Every cell (closed loop; a command is one place or one complete)', cells, {
    server: (c) => c.server ?? '-',
    scenario: name,
    conns: (c) => c.connections,
    'req/s': (c) => c.perSecond,
    'p50 ms': (c) => c.latencyMs.p50,
    'p95 ms': (c) => c.latencyMs.p95,
    'p99 ms': (c) => c.latencyMs.p99,
    errors: (c) => errors(c.errors),
    started: (c) => c.startedAt.slice(11, 19),
  });
  for (const c of cells)
    for (const [e, n] of Object.entries(c.errors))
      console.log(`  ${name(c)} ${c.connections}: ${n}× ${e}`);
  printTable(
    "CPU during the load, cores ('app': npm start's process; 'workers': --worker-queues' process; ms/req: bench + app + workers + temporal)",
    cells,
    {
      server: (c) => c.server ?? '-',
      scenario: name,
      conns: (c) => c.connections,
      ...Object.fromEntries(CORES.map((k) => [k, (c: Cell) => c.cores[k] ?? Number.NaN])),
      'CPU ms/req': (c) => c.cpuMsPerRequest,
    },
  );
  const sampled = cells.flatMap((c) =>
    'breakdown' in c && c.breakdown.samples ? [{ c, b: c.breakdown }] : [],
  );
  printTable(
    'Where the time goes: sampled histories against the client clock, median ms',
    sampled,
    {
      server: ({ c }) => c.server ?? '-',
      scenario: ({ c }) => name(c),
      conns: ({ c }) => c.connections,
      n: ({ b }) => b.samples,
      ...Object.fromEntries(
        PHASES.map((p) => [
          p,
          ({ b }: { b: (typeof sampled)[number]['b'] }) => b.medianMs[p] ?? Number.NaN,
        ]),
      ),
      'WFTs (range)': ({ b }) => `${b.workflowTasks} (${b.workflowTasksRange.join('–')})`,
      'events (range)': ({ b }) => `${b.historyEvents} (${b.historyEventsRange.join('–')})`,
    },
  );
  const partitioned = cells.flatMap((c) =>
    'partitionHistory' in c ? [{ c, h: c.partitionHistory }] : [],
  );
  printTable(
    "Partitioned: the partitions' histories in the cell (every run open in it), per command",
    partitioned,
    {
      server: ({ c }) => c.server,
      scenario: ({ c }) => c.scenario,
      conns: ({ c }) => c.connections,
      runs: ({ h }) => `${h.runs}${h.unreadable ? ` (+${h.unreadable} unreadable)` : ''}`,
      commands: ({ h }) => h.commands,
      events: ({ h }) => h.events,
      WFTs: ({ h }) => h.workflowTasks,
      batches: ({ h }) => h.batches,
      'events/cmd': ({ h }) => h.eventsPerCommand,
      'WFTs/cmd': ({ h }) => h.workflowTasksPerCommand,
      'cmds/WFT': ({ h }) => h.commandsPerWorkflowTask,
      'cmds/batch': ({ h }) => h.commandsPerBatch,
    },
  );
  const commands = cells.filter((c): c is CommandCell => 'path' in c && c.scenario === 'command');
  const timings = commands.flatMap((c) =>
    Object.entries(c.activityTimings).map(([a, t]) => ({ c, a, t })),
  );
  printTable('Activities during the command load, ms (local: the command workflows)', timings, {
    server: ({ c }) => c.server,
    path: ({ c }) => c.path,
    conns: ({ c }) => c.connections,
    activity: ({ a }) => a,
    count: ({ t }) => t.run.count,
    'run p50': ({ t }) => t.run.p50,
    'run p99': ({ t }) => t.run.p99,
    'sched→start p50': ({ t }) => t.scheduleToStart.p50,
    'sched→start p99': ({ t }) => t.scheduleToStart.p99,
  });
  const floorOf = (c: CommandCell) => beside(cells, c, 'empty-workflow')?.perSecond ?? Number.NaN;
  const perCommand = (c: CommandCell) => beside(commands, c, 'command', 'per-command');
  printTable(
    'Each command path against the empty-workflow floor (same server, clients, run); projection lag: reply → orders.get shows it',
    commands,
    {
      server: (c) => c.server,
      path: (c) => c.path,
      conns: (c) => c.connections,
      'cmd/s': (c) => c.perSecond,
      'floor/s': floorOf,
      'ours/floor': (c) => ratio(c.perSecond, floorOf(c)),
      'vs per-command': (c) => ratio(c.perSecond, perCommand(c)?.perSecond ?? Number.NaN),
      'lag followed': (c) =>
        `${c.lag.followed} (${c.lag.timeouts} timeouts, ${c.lag.skipped} skipped)`,
      'lag p50 / p95 / p99 ms': (c) => fmtAll(c.lag.ms.p50, c.lag.ms.p95, c.lag.ms.p99),
      [`backlog at end ${READ_MODELS.join('/')}`]: (c) =>
        perModel((m) => c.projectorBacklogAtEnd?.[m]),
      'catch-up s': (c) => c.catchUpSeconds ?? Number.NaN,
      'batches (events/batch)': (c) =>
        perModel((m) => c.projectorBatches[m]?.batches) +
        ` (${perModel((m) => ratio(c.projectorBatches[m]?.events ?? 0, c.projectorBatches[m]?.batches ?? 0, 1))})`,
      targets: (c) => verdict(c, floorOf(c)),
    },
  );
}

/** The command load alone, then with API reports and with SQL reports next to it. */
export function printReportLoads(cells: CommandCell[], skipped: string[]): void {
  const withReports = cells.filter((c) => c.reportLoad);
  for (const s of skipped) console.log(`  skipped: ${s}`);
  if (!withReports.length) return;
  const alone = (c: CommandCell) => beside(cells, c, 'command', c.path);
  printTable(
    'Command load with a fixed-rate report load next to it (open loop: a tick finding every client busy is behind)',
    withReports,
    {
      server: (c) => c.server,
      scenario: (c) => c.scenario,
      conns: (c) => c.connections,
      'cmd/s (alone)': (c) => `${fmt(c.perSecond)} (${fmt(alone(c)?.perSecond ?? Number.NaN)})`,
      'cmd p99 (alone)': (c) =>
        `${fmt(c.latencyMs.p99)} (${fmt(alone(c)?.latencyMs.p99 ?? Number.NaN)})`,
      'p99 ×': (c) => ratio(c.latencyMs.p99, alone(c)?.latencyMs.p99 ?? Number.NaN),
      'reports/s of target': (c) =>
        `${fmt(c.reportLoad?.perSecond ?? Number.NaN)} of ${c.reportLoad?.targetPerSecond}`,
      behind: (c) => c.reportLoad?.behind ?? '-',
      'report p50 / p99': (c) =>
        fmtAll(
          c.reportLoad?.latencyMs.p50 ?? Number.NaN,
          c.reportLoad?.latencyMs.p99 ?? Number.NaN,
        ),
      'report errors': (c) => errors(c.reportLoad?.errors ?? {}),
      'cores pg / es / redis': (c) =>
        ['postgres', 'elasticsearch', 'redis'].map((k) => fmt(c.cores[k] ?? 0)).join(' / '),
      answers: ({ reportLoad: r }) =>
        r?.cache
          ? `${r.cache.cached} cached, ${r.cache.computed} computed (${JSON.stringify(r.sources)})`
          : 'SQL JOIN',
    },
  );
}
