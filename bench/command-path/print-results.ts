// The tables of every cell: throughput and latency, errors, where the time goes (sampled
// histories; the partitions' histories for the partitioned path), the API's and Temporal's
// share of a request, worker activity timings, CPU.
import os from 'node:os';
import { PHASES } from './history-breakdown';
import { type ScenarioResult, scenarioName } from './results';
import { fmt, printTable } from './stats';

const label = (r: ScenarioResult) => r.server ?? 'postgres';

export function printResults(results: ScenarioResult[]): void {
  printTable(
    'Throughput and latency (closed loop; a command is one place or one complete)',
    [
      'server',
      'scenario',
      'conns',
      'req/s',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'max ms',
      'errors',
      'started (UTC)',
    ],
    results.map((r) => [
      label(r),
      scenarioName(r),
      r.connections,
      r.perSecond,
      r.latencyMs.p50,
      r.latencyMs.p95,
      r.latencyMs.p99,
      r.latencyMs.max,
      Object.values(r.errors).reduce((a, b) => a + b, 0),
      r.startedAt.slice(11, 19),
    ]),
  );
  const errors = results.flatMap((r) =>
    Object.entries(r.errors).map(([k, v]) => [label(r), scenarioName(r), r.connections, k, v]),
  );
  if (errors.length)
    printTable('Errors', ['server', 'scenario', 'conns', 'error', 'count'], errors);

  const traced = results.filter((r) => r.breakdown && r.breakdown.samples > 0);
  const range = (x: [number, number] | undefined) =>
    !x ? '-' : x[0] === x[1] ? fmt(x[0]) : `${fmt(x[0])}–${fmt(x[1])}`;
  printTable(
    'Where the time goes: sampled workflow histories vs client clock, median ms; workflow tasks and history events per request (median, range)',
    ['server', 'scenario', 'conns', 'n', ...PHASES, 'WFTs', 'events', 'WFTs range', 'events range'],
    traced.map((r) => [
      label(r),
      scenarioName(r),
      r.connections,
      r.breakdown?.samples ?? 0,
      ...PHASES.map((p) => r.breakdown?.median[p] ?? Number.NaN),
      r.breakdown?.workflowTasksMedian ?? Number.NaN,
      r.breakdown?.historyEventsMedian ?? Number.NaN,
      range(r.breakdown?.workflowTasksRange),
      range(r.breakdown?.historyEventsRange),
    ]),
  );

  const partitioned = results.filter((r) => r.partitionHistory);
  if (partitioned.length)
    printTable(
      "Partitioned path: the partition workflows' histories during the cell (every run open in it, continued-as-new ones included), per command acknowledged",
      [
        'server',
        'scenario',
        'conns',
        'runs',
        'commands',
        'events',
        'WFTs',
        'batches',
        'updates accepted',
        'events/cmd',
        'WFTs/cmd',
        'cmds/WFT',
        'cmds/batch',
      ],
      partitioned.map((r) => {
        const h = r.partitionHistory;
        return [
          label(r),
          scenarioName(r),
          r.connections,
          h ? `${h.runs}${h.unreadable ? ` (+${h.unreadable} unreadable)` : ''}` : '-',
          h?.commands ?? Number.NaN,
          h?.events ?? Number.NaN,
          h?.workflowTasks ?? Number.NaN,
          h?.batches ?? Number.NaN,
          h?.updatesAccepted ?? Number.NaN,
          h?.eventsPerCommand ?? Number.NaN,
          h?.workflowTasksPerCommand ?? Number.NaN,
          h?.commandsPerWorkflowTask ?? Number.NaN,
          h?.commandsPerBatch ?? Number.NaN,
        ];
      }),
    );

  printTable(
    'Client vs API vs Temporal call, all requests of the scenario (ms)',
    [
      'server',
      'scenario',
      'conns',
      'client p50',
      'API request p50',
      'temporal call p50',
      'client p99',
      'API request p99',
      'temporal call p99',
    ],
    results
      .filter((r) => r.temporalCallMs)
      .map((r) => [
        label(r),
        scenarioName(r),
        r.connections,
        r.latencyMs.p50,
        r.apiRequestMs?.p50 ?? Number.NaN,
        r.temporalCallMs?.p50 ?? Number.NaN,
        r.latencyMs.p99,
        r.apiRequestMs?.p99 ?? Number.NaN,
        r.temporalCallMs?.p99 ?? Number.NaN,
      ]),
  );

  const commands = results.filter((r) => r.scenario === 'command');
  printTable(
    'Worker activity timings during the command load, ms (local: the command workflows; tailEvents / projectBatch: the projectors)',
    [
      'server',
      'path',
      'conns',
      'activity',
      'count',
      'run p50',
      'run p99',
      'sched→start p50',
      'sched→start p99',
    ],
    commands.flatMap((r) =>
      Object.entries(r.activityTimings ?? {}).map(([name, t]) => [
        label(r),
        r.commandPath ?? '-',
        r.connections,
        name,
        t.run.count,
        t.run.p50,
        t.run.p99,
        t.scheduleToStart.p50,
        t.scheduleToStart.p99,
      ]),
    ),
  );

  const cpuKeys = [
    'bench',
    'workers',
    'temporal',
    'postgres',
    'elasticsearch',
    'redis',
    'other',
    'machineBusy',
  ];
  printTable(
    `CPU during the load, cores (machine has ${os.cpus().length}; "other" = everything else running)`,
    [
      'server',
      'scenario',
      'conns',
      ...cpuKeys,
      'CPU ms/req (bench+workers+temporal)',
      'loop delay p99 bench/workers ms',
    ],
    results.map((r) => [
      label(r),
      scenarioName(r),
      r.connections,
      ...cpuKeys.map((k) => r.cpuCores[k] ?? Number.NaN),
      r.cpuMsPerRequest ?? Number.NaN,
      `${fmt(r.loopDelayMs?.bench.p99 ?? Number.NaN)}/${fmt(r.loopDelayMs?.workers?.p99 ?? Number.NaN)}`,
    ]),
  );
}
