// Throughput floor of a Temporal dev server for a trivial one-activity workflow: the
// project's SQLite-backed server (127.0.0.1:7233) versus an in-memory one started here, and
// the standalone server on PostgreSQL (scripts/temporal-postgres.sh, 127.0.0.1:7283, fresh
// databases temporal_floor and temporal_floor_visibility).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type WorkflowBundle,
} from '@temporalio/worker';
import type { pingWorkflow } from '../test/fixtures/ping-workflow';
import {
  portInUse,
  startPostgresServer,
  stopProcess,
  temporalBinary,
} from './command-path/servers';
import { BENCH_NAMESPACE } from './namespace';

const SQLITE_ADDRESS = '127.0.0.1:7233';
const MEMORY_PORT = 7243;
const MEMORY_ADDRESS = `127.0.0.1:${MEMORY_PORT}`;
const POSTGRES_PORT = 7283;
const NAMESPACE = BENCH_NAMESPACE;
const WARMUP_WORKFLOWS = 20;
const READY_TIMEOUT_MS = 60_000;

interface Settings {
  rounds: number;
  workflows: number;
  concurrency: number;
}
interface Round {
  wallMs: number;
  latencies: number[];
}
interface ServerResult {
  address: string;
  roundsWallMs: number[];
  roundsPerSecond: number[];
  medianPerSecond: number;
  latencyMs: { p50: number; p95: number; p99: number };
}

function readSettings(): Settings {
  const settings: Settings = { rounds: 3, workflows: 200, concurrency: 20 };
  const flag = { type: 'string' } as const;
  const options = { rounds: flag, workflows: flag, concurrency: flag };
  const { values } = parseArgs({ options });
  for (const key of Object.keys(settings) as (keyof Settings)[]) {
    const n = Number(values[key] ?? settings[key]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${key} must be a positive integer`);
    settings[key] = n;
  }
  return settings;
}

async function startMemoryServer(): Promise<ChildProcess> {
  // Otherwise we would silently benchmark whatever already listens there.
  if (await portInUse(MEMORY_PORT)) throw new Error(`port ${MEMORY_PORT} is already in use`);
  const args = ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port'];
  args.push(String(MEMORY_PORT), '--namespace', NAMESPACE, '--log-level', 'error');
  return spawn(temporalBinary(), args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

async function connectWhenReady(address: string, server?: ChildProcess): Promise<Client> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (server && server.exitCode !== null) throw new Error(`server exited (${server.exitCode})`);
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address, connectTimeout: '1 second' });
      await connection.workflowService.describeNamespace({ namespace: NAMESPACE });
      return new Client({ connection, namespace: NAMESPACE });
    } catch (error) {
      await connection?.close();
      if (Date.now() > deadline) throw new Error(`${address} not ready: ${error}`);
      await sleep(500);
    }
  }
}

async function runPool(count: number, concurrency: number, task: () => Promise<void>) {
  let started = 0;
  const lane = async () => {
    while (started < count) {
      started++;
      await task();
    }
  };
  await Promise.all(Array.from({ length: Math.min(count, concurrency) }, lane));
}

/** Runs `count` workflows; returns the wall time and each workflow's latency, in ms. */
async function runRound(client: Client, taskQueue: string, count: number, lanes: number) {
  const latencies: number[] = [];
  const begin = performance.now();
  await runPool(count, lanes, async () => {
    const start = performance.now();
    await client.workflow.execute<typeof pingWorkflow>('pingWorkflow', {
      taskQueue,
      workflowId: `${taskQueue}-${randomUUID()}`,
      args: ['bench'],
    });
    latencies.push(performance.now() - start);
  });
  return { wallMs: performance.now() - begin, latencies };
}

function summarize(address: string, workflows: number, rounds: Round[]): ServerResult {
  const roundsWallMs = rounds.map((r) => r.wallMs);
  const roundsPerSecond = roundsWallMs.map((ms) => workflows / (ms / 1000));
  const latencies = rounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const p = (q: number) => percentile(latencies, q);
  const latencyMs = { p50: p(50), p95: p(95), p99: p(99) };
  const medianPerSecond = median(roundsPerSecond);
  return { address, roundsWallMs, roundsPerSecond, medianPerSecond, latencyMs };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] ?? Number.NaN;
  return sorted.length % 2 ? upper : (upper + (sorted[mid - 1] ?? Number.NaN)) / 2;
}

// Nearest-rank percentile of an ascending array.
function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function benchServer(
  address: string,
  bundle: WorkflowBundle,
  s: Settings,
  server?: ChildProcess,
) {
  const client = await connectWhenReady(address, server);
  const connection = await NativeConnection.connect({ address });
  const taskQueue = `bench-floor-${randomUUID()}`;
  const worker = await Worker.create({
    connection,
    namespace: NAMESPACE,
    taskQueue,
    workflowBundle: bundle,
    activities: { greet: async (n: string) => `hello ${n}` },
  });
  const measure = async (): Promise<ServerResult> => {
    await runRound(client, taskQueue, WARMUP_WORKFLOWS, s.concurrency);
    const rounds: Round[] = [];
    for (let r = 0; r < s.rounds; r++) {
      rounds.push(await runRound(client, taskQueue, s.workflows, s.concurrency));
    }
    return summarize(address, s.workflows, rounds);
  };
  try {
    return await worker.runUntil(measure());
  } finally {
    await connection.close();
    await client.connection.close();
  }
}

function printTable(title: string, r: ServerResult): void {
  const rows: [string, string][] = [['rounds', String(r.roundsPerSecond.length)]];
  for (const [i, v] of r.roundsPerSecond.entries()) {
    rows.push([`round ${i + 1} workflows/s`, v.toFixed(1)]);
  }
  rows.push(['median workflows/s', r.medianPerSecond.toFixed(1)]);
  for (const [k, v] of Object.entries(r.latencyMs)) rows.push([`latency ${k} ms`, v.toFixed(1)]);
  console.log(`\n${title} (${r.address})`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(22)}${v.padStart(10)}`);
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const settings = readSettings();
  const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
  const fixture = new URL('../test/fixtures/ping-workflow.ts', import.meta.url);
  const bundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(fixture),
    logger: silent,
  });

  const sqlite = await benchServer(SQLITE_ADDRESS, bundle, settings);
  const server = await startMemoryServer();
  let memory: ServerResult;
  try {
    memory = await benchServer(MEMORY_ADDRESS, bundle, settings, server);
  } finally {
    await stopProcess(server);
  }
  const pg = await startPostgresServer(POSTGRES_PORT, 'temporal_floor');
  let postgres: ServerResult;
  try {
    postgres = await benchServer(pg.address, bundle, settings);
  } finally {
    await pg.stop();
  }
  const ratio = memory.medianPerSecond / sqlite.medianPerSecond;
  const postgresRatio = postgres.medianPerSecond / sqlite.medianPerSecond;
  printTable('SQLite file', sqlite);
  printTable('in-memory', memory);
  printTable('PostgreSQL (standalone server)', postgres);
  console.log(`\nratio in-memory / SQLite (median workflows/s): ${ratio.toFixed(2)}`);
  console.log(`ratio PostgreSQL / SQLite (median workflows/s): ${postgresRatio.toFixed(2)}`);

  const machine = {
    cpus: os.cpus().length,
    totalMemoryGiB: Number((os.totalmem() / 1024 ** 3).toFixed(1)),
    node: process.version,
  };
  const result = {
    timestamp: new Date().toISOString(),
    machine,
    settings,
    sqlite,
    memory,
    postgres,
    ratio,
    postgresRatio,
  };
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'temporal-floor.json'), `${JSON.stringify(result, null, 2)}\n`);
}

await main();
