// Body of bench/command-path.ts (loaded once its environment is set): each Temporal
// server's turn, then the event store without Temporal; the tables; the results.
import { cleanupMark, onCleanup, runCleanups } from '../harness/cleanups';
import { COMMAND_PATH_DATA } from '../harness/data-sets';
import { progress, writeResults } from '../harness/output';
import { openDatabase, resetDataSet } from '../harness/reset-data';
import { connectClient, startTemporalServer } from '../harness/temporal-servers';
import { type CommandCell, commandCell, startCommandApp, type Turn } from './command-cells';
import { terminateBenchWorkflows } from './engine-costs';
import { emptyWorkflowCell, eventStoreCell, startEmptyWorkflowEndpoint } from './floors';
import { printCells, printReportLoads } from './print';
import { apiReportLoad, type ReportLoad, reportSlots, sqlReportLoad } from './report-loads';
import { readSettings } from './settings';

const settings = readSettings();
const want = (s: (typeof settings.scenarios)[number]) => settings.scenarios.includes(s);
const startedAt = new Date().toISOString();
progress(
  `command path: ${settings.seconds} s cells, clients ${settings.connections.join(', ')}, servers ${settings.servers.join(', ')}, paths ${settings.commandPaths.join(', ')}`,
);
await resetDataSet(COMMAND_PATH_DATA);
const pool = await openDatabase(COMMAND_PATH_DATA);
onCleanup(() => pool.end());
const cells: Awaited<
  ReturnType<typeof commandCell | typeof emptyWorkflowCell | typeof eventStoreCell>
>[] = [];
const skipped: string[] = [];
const reportData =
  want('command-reports') || want('command-sql-report') ? await reportSlots() : undefined;
if (reportData?.missing)
  skipped.push(`report loads: run reports-at-scale first (${reportData.missing})`);

const usesTemporal = settings.scenarios.some((s) => s !== 'append' && s !== 'db-command');
for (const kind of usesTemporal ? settings.servers : []) {
  const mark = cleanupMark();
  const server = await startTemporalServer(kind, settings.dynamicConfig);
  const client = await connectClient(server.address);
  const turn: Turn = { settings, server, client, pool };
  // Fresh projectors from the checkpoints in the bench database; none left open at the end.
  await terminateBenchWorkflows(client, settings.partitions, 'command-path bench: a fresh start');
  onCleanup(() => terminateBenchWorkflows(client, settings.partitions, 'command-path bench: done'));
  const commandLoads = want('command') || want('command-reports') || want('command-sql-report');
  for (const path of commandLoads ? settings.commandPaths : []) {
    progress(`${kind}: the app on the ${path} path, warm-up`);
    const appMark = cleanupMark();
    const app = await startCommandApp(turn, path);
    const loads = new Map<string, ReportLoad | string>(); // made once, for this app's cells
    for (const n of settings.connections) {
      if (want('command')) {
        progress(`${kind}: command (${path}), ${n} clients`);
        cells.push(await commandCell(turn, app, path, n));
      }
      // Whether reports slow commands: on the first server and path only (--quick: 1st cell).
      const reportCell = kind === settings.servers[0] && path === settings.commandPaths[0];
      if (
        !reportCell ||
        !reportData?.slots.length ||
        (settings.quick && n !== settings.connections[0])
      )
        continue;
      for (const scenario of ['command-reports', 'command-sql-report'] as const) {
        if (!want(scenario)) continue;
        const load =
          loads.get(scenario) ??
          (scenario === 'command-sql-report'
            ? await sqlReportLoad(settings, reportData.slots)
            : await apiReportLoad(settings, reportData.slots, client, pool));
        loads.set(scenario, load);
        if (typeof load === 'string') {
          skipped.push(`${scenario}: ${load}`);
          continue;
        }
        progress(`${kind}: ${scenario} (${path}), ${n} clients + ${settings.reportRate} reports/s`);
        cells.push(await commandCell(turn, app, path, n, { scenario, load }));
      }
    }
    await runCleanups(appMark);
  }
  if (want('empty')) {
    const url = await startEmptyWorkflowEndpoint(turn);
    for (const n of settings.connections) {
      progress(`${kind}: empty workflow, ${n} clients`);
      cells.push(await emptyWorkflowCell(turn, url, n, settings.seconds));
    }
  }
  await runCleanups(mark);
}
for (const kind of ['append', 'db-command'] as const) {
  for (const n of want(kind) ? settings.connections : []) {
    progress(`event store: ${kind}, ${n} clients`);
    cells.push(await eventStoreCell(kind, n, settings.seconds));
  }
}
await runCleanups();

printCells(cells);
printReportLoads(
  cells.filter((c): c is CommandCell => 'path' in c),
  skipped,
);
writeResults(settings.label ? `command-path-${settings.label}` : 'command-path', {
  startedAt,
  settings,
  skipped,
  cells,
});
process.exit(0);
