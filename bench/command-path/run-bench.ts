// Body of bench/command-path.ts (imported after the bootstrap has set the environment): each
// Temporal server's turn, then the event store without Temporal; the tables; the JSON file.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isInterrupted, runCleanups } from './cleanups';
import { progress } from './context';
import { openReadSide } from './http-servers';
import { prepareData } from './isolated-data';
import { printReportLoad } from './print-report-load';
import { printResults } from './print-results';
import { printTargets } from './print-targets';
import { reportComparison } from './report-comparison';
import { prepareReportData } from './report-data-set';
import { addCpuPerRequest, ratios, type ScenarioResult, type SkippedScenario } from './results';
import { eventStoreScenario } from './scenarios/event-store';
import { type ServerTurn, serverTurn } from './server-turn';
import type { Settings } from './settings';
import { fmt, topProcesses } from './stats';

export async function runBench(settings: Settings): Promise<void> {
  const began = new Date();
  console.log(
    `command-path bench ${began.toISOString()}: ${settings.seconds} s per scenario, connections ${settings.connections.join(',')}, servers ${settings.servers.join(',')}, workers ${settings.inprocessWorkers ? 'in-process' : 'in a child process'}`,
  );
  const machineAtStart = { loadavg: os.loadavg(), topProcesses: topProcesses() };
  await prepareData();
  const results: ScenarioResult[] = [];
  const skipped: SkippedScenario[] = [];
  const serversUsed: ServerTurn['server'][] = [];
  let placement = settings.inprocessWorkers ? 'in-process' : 'child process';
  const readSide = openReadSide();
  const wantTemporal = settings.scenarios.some((s) => s !== 'append' && s !== 'db-command');
  const reports = await prepareReportData(settings);
  try {
    for (const kind of wantTemporal ? settings.servers : []) {
      const turn = await serverTurn(kind, settings, readSide, reports);
      results.push(...turn.results);
      skipped.push(...turn.skipped);
      serversUsed.push(turn.server);
      placement = turn.workerPlacement;
    }
    for (const kind of ['append', 'db-command'] as const) {
      if (!settings.scenarios.includes(kind)) continue;
      for (const n of settings.connections) {
        progress(`event store: ${kind}, ${n} connections`);
        results.push(await eventStoreScenario(kind, n, settings.seconds));
      }
    }
  } catch (err) {
    // Interrupted: what failed was torn down under it; the signal handler exits when done.
    if (isInterrupted()) await new Promise(() => undefined);
    throw err;
  } finally {
    if (!isInterrupted()) await runCleanups();
  }

  addCpuPerRequest(results);
  printResults(results);
  printReportLoad(results, skipped);
  printTargets(results);
  const finished = new Date();
  const output = {
    startedAt: began.toISOString(),
    finishedAt: finished.toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      totalMemoryGiB: Number((os.totalmem() / 1024 ** 3).toFixed(1)),
      node: process.version,
      platform: `${os.type()} ${os.release()}`,
      atStart: machineAtStart,
      atEnd: { loadavg: os.loadavg(), topProcesses: topProcesses() },
    },
    settings,
    workerPlacement: placement,
    servers: serversUsed,
    ratios: ratios(results),
    reportLoadComparison: reportComparison(results, skipped),
    skipped,
    results,
  };
  const dir = fileURLToPath(new URL('../results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = join(
    dir,
    settings.label ? `command-path-${settings.label}.json` : 'command-path.json',
  );
  writeFileSync(file, `${JSON.stringify(output, null, 2)}\n`);
  console.log(`\nwrote ${file} (${fmt((finished.getTime() - began.getTime()) / 1000)} s)`);
  process.exit(0);
}
