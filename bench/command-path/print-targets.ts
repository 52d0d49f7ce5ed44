// The headline of a run, side by side from the same cells: the command path against the
// empty-workflow floor, projection lag and the projectors' batches, and the issue's targets
// (ours/floor ≥ 0.8; lag p50 ≤ 150 ms and p99 ≤ 1 s at 10 clients, p99 ≤ 2 s at 50; the
// command alone: ≤ 10 history events, 1 workflow task).
import { READ_MODELS } from '../../domain/read-models';
import { type Ratio, ratios, type ScenarioResult } from './results';
import { fmt, printTable } from './stats';

const TARGET = {
  ratio: 0.8,
  lagP50Ms: 150,
  /** Lag p99 at up to 10 clients, and above. */
  lagP99Ms: (connections: number) => (connections <= 10 ? 1_000 : 2_000),
  historyEvents: 10,
  workflowTasks: 1,
};

const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');

export function printTargets(results: ScenarioResult[]): void {
  const pairs = ratios(results);
  printTable(
    'Command path vs empty-workflow floor (same server, same connections, same run)',
    [
      'server',
      'conns',
      'commands/s',
      'cmd p50',
      'cmd p99',
      'empty wf/s',
      'floor p50',
      'floor p99',
      'ours/floor',
    ],
    pairs.map((p) => [
      p.server,
      p.connections,
      p.commands,
      p.cmdP50,
      p.cmdP99,
      p.empty,
      p.emptyP50,
      p.emptyP99,
      p.ratio.toFixed(2),
    ]),
  );

  const commands = results.filter((r) => r.scenario === 'command');
  const perModel = (f: (m: (typeof READ_MODELS)[number]) => number | undefined) =>
    READ_MODELS.map((m) => fmt(f(m) ?? Number.NaN)).join('/');
  printTable(
    `Projection lag: command reply → visible at that version through orders.get (10 ms polls); projectors ${READ_MODELS.join('/')}`,
    [
      'server',
      'conns',
      'followed',
      'timeouts',
      'skipped',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'max ms',
      'backlog at end (events)',
      'catch-up s',
      'batches',
      'events/batch',
    ],
    commands.map((r) => [
      r.server ?? '',
      r.connections,
      r.lag?.followed ?? 0,
      r.lag?.timeouts ?? 0,
      r.lag?.skipped ?? 0,
      r.lag?.ms.p50 ?? Number.NaN,
      r.lag?.ms.p95 ?? Number.NaN,
      r.lag?.ms.p99 ?? Number.NaN,
      r.lag?.ms.max ?? Number.NaN,
      perModel((m) => r.projectorBacklogAtEnd?.[m]),
      r.catchUpSeconds ?? Number.NaN,
      perModel((m) => r.projectorBatches?.[m]?.batches),
      perModel((m) => r.projectorBatches?.[m]?.eventsPerBatch),
    ]),
  );

  printTable(
    'Targets (issue 10), side by side from this run: ours/floor ≥ 0.8; lag p50 ≤ 150 ms, p99 ≤ 1 s (10 clients) / 2 s (50); ≤ 10 history events and 1 workflow task per command',
    [
      'server',
      'conns',
      'commands/s',
      'p50 ms',
      'p99 ms',
      'floor/s',
      'ours/floor',
      'lag p50',
      'lag p99',
      'events',
      'WFTs',
      'verdict',
    ],
    commands.map((r) => targetRow(r, pairs)),
  );
}

function targetRow(r: ScenarioResult, pairs: Ratio[]): (string | number)[] {
  const p = pairs.find((x) => x.server === r.server && x.connections === r.connections);
  const lag = r.lag?.ms;
  const events = r.breakdown?.historyEventsRange[1] ?? Number.NaN;
  const tasks = r.breakdown?.workflowTasksRange[1] ?? Number.NaN;
  const checks = [
    p ? `ratio ${mark(p.ratio >= TARGET.ratio)}` : 'ratio: no floor cell',
    `lag p50 ${mark((lag?.p50 ?? Number.POSITIVE_INFINITY) <= TARGET.lagP50Ms)}`,
    `lag p99 ${mark(
      (lag?.p99 ?? Number.POSITIVE_INFINITY) <= TARGET.lagP99Ms(r.connections) &&
        (r.lag?.timeouts ?? 1) === 0,
    )}`,
    `command alone ${mark(events <= TARGET.historyEvents && tasks <= TARGET.workflowTasks)}`,
  ];
  const median = (x: number | undefined, range: [number, number] | undefined) =>
    range && range[0] !== range[1]
      ? `${fmt(x ?? Number.NaN)} (${range[0]}–${range[1]})`
      : fmt(x ?? Number.NaN);
  return [
    r.server ?? '',
    r.connections,
    r.perSecond,
    r.latencyMs.p50,
    r.latencyMs.p99,
    p?.empty ?? Number.NaN,
    p ? p.ratio.toFixed(2) : '-',
    lag?.p50 ?? Number.NaN,
    lag?.p99 ?? Number.NaN,
    median(r.breakdown?.historyEventsMedian, r.breakdown?.historyEventsRange),
    median(r.breakdown?.workflowTasksMedian, r.breakdown?.workflowTasksRange),
    checks.join(', '),
  ];
}
