// What a run records in bench/results/reports-at-scale.json, and the machine it ran on.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { QuietWait } from '../bench-stats';
import type { BaselineLoadResult, LoadResult } from '../load-orders';
import type { ViewBuild } from '../sql-baseline';
import type { Consistency } from './consistency';
import type { ScenarioResult } from './measure-query';
import type { Interruption } from './outages';
import type { Ratio } from './ratios';
import type { IndexFootprint } from './read-model-indices';
import type { RebuildRun } from './rebuild-throughput';
import type { Settings } from './settings';

export type Machine = ReturnType<typeof machineAtStart>;

export function machineAtStart() {
  return {
    os: `${os.type()} ${os.release()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? null,
    totalMemoryGiB: Number((os.totalmem() / 1024 ** 3).toFixed(1)),
    node: process.version,
    loadAverageAtStart: os.loadavg(),
    note: 'PostgreSQL, Elasticsearch, Redis, Temporal and this process share the machine',
  };
}

export interface ReportsAtScaleResult {
  benchmark: 'reports-at-scale';
  mode: Settings['mode'];
  timestamps: Record<string, string>;
  quietWaits: Record<string, QuietWait>;
  interruptions: Interruption[];
  machine: Machine;
  servers: { elasticsearch: string | null; postgres: string | null };
  settings: Settings;
  isolation: { database: string; esIndexPrefix: string; redis: string };
  load: LoadResult;
  rebuilds: RebuildRun[];
  esIndex: IndexFootprint;
  baseline: { load: BaselineLoadResult; view: ViewBuild; joinPlan: string[] };
  consistency: Consistency;
  reports: { slots: number; firstCallsMs: number[]; scenarios: ScenarioResult[] };
  ratios: Ratio[];
}

/** Writes bench/results/reports-at-scale.json; returns its path relative to the repository. */
export function writeResults(result: ReportsAtScaleResult): string {
  const dir = fileURLToPath(new URL('../results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'reports-at-scale.json'), `${JSON.stringify(result, null, 2)}\n`);
  return 'bench/results/reports-at-scale.json';
}
