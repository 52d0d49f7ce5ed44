// Body of bench/command-path.ts; imported after the bootstrap has set the environment.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Client as EsClient } from '@elastic/elasticsearch';
import {
  Client,
  Connection,
  WithStartWorkflowOperation,
  type WorkflowClientInterceptor,
} from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import proto from '@temporalio/proto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createCommandActivities } from '../../activities/command-activities';
import { parseTokens } from '../../api/auth';
import { payloadHash } from '../../api/command-hash';
import { createApiServer, listen } from '../../api/server';
import { CURRENT_SCHEMA_VERSION, decide, type OrderCommand } from '../../domain';
import { createPool, EventStore, migrate } from '../../eventstore';
import { COMMAND_TYPE, ORDER_ID } from '../../temporal/search-attributes';
import { taskQueue } from '../../temporal/task-queues';
import type { OrderCommandInput } from '../../workflows/order-command-contract';
import { emptyUpdate, type emptyWorkflow } from '../fixtures/empty-workflow';
import {
  epochMs,
  type HttpReply,
  httpRequest,
  type LaneStep,
  type LoadResult,
  newId,
  runLoad,
  type Sample,
  timed,
} from './load';
import {
  apiReportLoad,
  failFastRedis,
  openReportReadSide,
  type ReportApi,
  type ReportLoad,
  type ReportLoadResult,
  type ReportSlot,
  reportApiServer,
  reportReadModel,
  sqlReportLoad,
  sqlReportSlots,
  sqlReportTablesMissing,
} from './report-load';
import { type RunningServer, startServer } from './servers';
import {
  ADMIN_DATABASE_URL,
  BENCH_DATABASE,
  BENCH_DATABASE_URL,
  EMPTY_TASK_QUEUE,
  ES_PREFIX,
  REDIS_PREFIX,
  REDIS_URL,
  type ScenarioKind,
  type ServerKind,
  type Settings,
} from './settings';
import {
  type CpuSnapshot,
  cpuCores,
  cpuSnapshot,
  fmt,
  type LoopDelay,
  loopDelayMonitor,
  printTable,
  type Summary,
  summarize,
  topProcesses,
} from './stats';
import type { ActivityTimings, FromChild, ToChild, WorkerStats } from './workers';

const NAMESPACE = 'default';
const TOKENS = { reader: 'benchcmd-reader-token-0001', writer: 'benchcmd-writer-token-0001' };
const READY_TIMEOUT_MS = 90_000;
const LAG_TIMEOUT_MS = 15_000;
const LAG_POLL_MS = 10;
const MAX_LAG_FOLLOWERS = 64;
const HISTORY_SAMPLES = 40;
// A CommonJS package: under Node's ESM loader only its default export is reliable.
const EventType = proto.temporal.api.enums.v1.EventType;
const benchLoop = loopDelayMonitor();

// ---------------------------------------------------------------------------------------
// Results

interface Breakdown {
  samples: number;
  /** Medians over the sampled workflows, ms (medians of parts do not add up to the total's). */
  median: Record<string, number>;
  p95: Record<string, number>;
  workflowTasksMedian: number;
  historyEventsMedian: number;
}

interface ScenarioResult {
  scenario: string;
  server: ServerKind | null;
  connections: number;
  seconds: number;
  startedAt: string;
  requests: number;
  perSecond: number;
  errors: Record<string, number>;
  latencyMs: Summary;
  byKind: Record<string, Summary>;
  lag?: { followed: number; timeouts: number; skipped: number; ms: Summary };
  /** Workflows of the scenario still running when the load stopped (post-reply work left). */
  runningAtEnd?: number | null;
  drainSeconds?: number | null;
  breakdown?: Breakdown;
  /** Duration of the update-with-start call as the API process saw it. */
  temporalCallMs?: Summary;
  /** The API's time per command request, arrival to response end (command scenario only). */
  apiRequestMs?: Summary;
  activityTimings?: ActivityTimings;
  /** Event-loop delay during the load: this process (client lanes + API) and the workers'. */
  loopDelayMs?: { bench: LoopDelay; workers?: LoopDelay };
  cpuCores: Record<string, number>;
  /**
   * CPU time of the bench process (client lanes + API), the workers and the Temporal server
   * per successful request, ms: what a request costs, less sensitive to other load on the
   * machine than the rate is.
   */
  cpuMsPerRequest?: number;
  /** command-reports / command-sql-report: the report clients that ran during the load. */
  reportLoad?: ReportLoadResult;
}

/** A report scenario that was not measured, and why. */
interface SkippedScenario {
  scenario: ScenarioKind;
  server: ServerKind;
  connections: number;
  reason: string;
}

// ---------------------------------------------------------------------------------------
// Cleanup on every exit path

const cleanups: (() => Promise<void>)[] = [];
/** Runs the cleanups registered after `mark` (all of them by default), newest first. */
async function runCleanups(mark = 0): Promise<void> {
  while (cleanups.length > mark)
    await cleanups
      .pop()?.()
      .catch(() => undefined);
}
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`\n${signal}: stopping the servers and workers the bench started`);
    void runCleanups().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------
// Isolated data

async function prepareData(): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [
      BENCH_DATABASE,
    ]);
    if (!rowCount) await admin.query(`create database ${BENCH_DATABASE}`);
  } finally {
    await admin.end();
  }
  const pool = createPool(BENCH_DATABASE_URL, 2);
  try {
    await migrate(pool);
    // Each run starts empty, so append timings do not depend on earlier runs.
    await pool.query('truncate events, streams, commands');
  } finally {
    await pool.end();
  }
  const es = new EsClient({ node: 'http://127.0.0.1:9200' });
  try {
    const indices = await es.cat.indices({ index: `${ES_PREFIX}*`, format: 'json' });
    const names = indices.map((i) => i.index).filter((n): n is string => !!n);
    // Names, not a wildcard: action.destructive_requires_name refuses wildcard deletes.
    if (names.length) await es.indices.delete({ index: names });
  } finally {
    await es.close();
  }
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${REDIS_PREFIX}*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

function timedClient(connection: Connection, calls: Map<string, number[]>): Client {
  const interceptor: WorkflowClientInterceptor = {
    async startUpdateWithStart(input, next) {
      const t = performance.now();
      try {
        return await next(input);
      } finally {
        const list = calls.get(input.workflowType) ?? [];
        list.push(performance.now() - t);
        calls.set(input.workflowType, list);
      }
    },
  };
  return new Client({
    connection,
    namespace: NAMESPACE,
    interceptors: { workflow: [interceptor] },
  });
}

async function connectWhenReady(address: string): Promise<Connection> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address, connectTimeout: '1 second' });
      await connection.workflowService.describeNamespace({ namespace: NAMESPACE });
      return connection;
    } catch (error) {
      await connection?.close();
      if (Date.now() > deadline) throw new Error(`${address} not ready: ${error}`);
      await sleep(500);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Workers: a child process (own event loop), or this process

interface WorkerHandle {
  pid: number;
  placement: 'child process' | 'in-process';
  timings(): Promise<WorkerStats>;
  stop(): Promise<void>;
}

async function startWorkerChild(address: string, settings: Settings): Promise<WorkerHandle> {
  const child = fork(fileURLToPath(new URL('./worker-child.ts', import.meta.url)), [], {
    execArgv: process.execArgv,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: address,
      BENCH_WORKER_TUNING: JSON.stringify(settings.tuning),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = (type: FromChild['type'], timeoutMs: number) =>
    new Promise<FromChild>((resolve, reject) => {
      const timer = setTimeout(
        () => done(new Error(`worker child: no ${type} in time`)),
        timeoutMs,
      );
      const onMessage = (m: FromChild) => {
        if (m.type === type) done(undefined, m);
        else if (m.type === 'failed') done(new Error(`worker child failed: ${m.message}`));
      };
      const onExit = (code: number | null) => done(new Error(`worker child exited (${code})`));
      function done(err?: Error, m?: FromChild) {
        clearTimeout(timer);
        child.off('message', onMessage).off('exit', onExit);
        if (err) reject(err);
        else if (m) resolve(m);
      }
      child.on('message', onMessage).on('exit', onExit);
    });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.send({ type: 'stop' } satisfies ToChild);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };
  cleanups.push(stop);
  try {
    await next('ready', READY_TIMEOUT_MS);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    pid: child.pid ?? 0,
    placement: 'child process',
    async timings() {
      const reply = next('timings', 10_000);
      child.send({ type: 'timings' } satisfies ToChild);
      const m = await reply;
      if (m.type !== 'timings') throw new Error(`worker child answered ${m.type}`);
      return m.timings;
    },
    stop,
  };
}

async function startWorkersInProcess(settings: Settings): Promise<WorkerHandle> {
  const { startBenchWorkers } = await import('./workers');
  const workers = await startBenchWorkers(settings.tuning);
  const stop = () => workers.shutdown();
  cleanups.push(stop);
  return {
    pid: process.pid,
    placement: 'in-process',
    timings: async () => workers.takeTimings(),
    stop,
  };
}

// ---------------------------------------------------------------------------------------
// The API under test, and the bench's own empty-workflow endpoint

interface ReadSide {
  pool: pg.Pool;
  redis: Redis;
  es: EsClient;
}

function openReadSide(): ReadSide {
  const pool = createPool(BENCH_DATABASE_URL, 4);
  const redis = failFastRedis(REDIS_URL);
  const es = new EsClient({ node: 'http://127.0.0.1:9200', requestTimeout: 10_000 });
  return { pool, redis, es };
}

/**
 * The same request handler in a server that also times each request from its arrival to the
 * end of the response (the API's own time, as opposed to what the client waited).
 */
function timedServer(inner: http.Server, times: number[]): http.Server {
  const handlers = inner.listeners('request') as http.RequestListener[];
  return http.createServer((req, res) => {
    const t = performance.now();
    const timedPost = req.method === 'POST';
    res.on('finish', () => {
      if (timedPost) times.push(performance.now() - t);
    });
    for (const h of handlers) h(req, res);
  });
}

async function startHttp(server: http.Server): Promise<string> {
  const address: AddressInfo = await listen(server, 0, '127.0.0.1');
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${address.port}`;
}

function emptyWorkflowServer(client: Client): http.Server {
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      let id: string;
      try {
        id = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string }).id;
      } catch {
        return reply(400, { error: 'body must be {"id": "…"}' });
      }
      // The same start options as the command path (api/command-bus.ts), search attributes
      // included: only the workflow differs.
      const startWorkflowOperation = new WithStartWorkflowOperation<typeof emptyWorkflow>(
        'emptyWorkflow',
        {
          workflowId: `benchcmd-empty-${id}`,
          taskQueue: EMPTY_TASK_QUEUE,
          args: [id],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
          typedSearchAttributes: [
            { key: ORDER_ID, value: `o-${id}` },
            { key: COMMAND_TYPE, value: 'Empty' },
          ],
        },
      );
      client.workflow
        .executeUpdateWithStart(emptyUpdate, {
          args: [id],
          updateId: newId(),
          startWorkflowOperation,
        })
        .then(
          (value) => reply(200, { result: value }),
          (err: unknown) => reply(500, { error: err instanceof Error ? err.message : String(err) }),
        );
    });
  });
}

// ---------------------------------------------------------------------------------------
// Scenario helpers

interface CommandReplyBody {
  orderId: string;
  version: number;
}

function parseTrpc<T>(reply: HttpReply): { data?: T; error?: string } {
  try {
    const body = JSON.parse(reply.body) as {
      result?: { data?: T };
      error?: { message?: string; data?: { code?: string } };
    };
    if (reply.status === 200 && body.result?.data) return { data: body.result.data };
    const code = body.error?.data?.code ?? '';
    return { error: `${reply.status} ${code} ${body.error?.message ?? ''}`.slice(0, 80) };
  } catch {
    return { error: `${reply.status} ${reply.body}`.slice(0, 80) };
  }
}

/** Keeps a uniform random sample of at most `size` items from a stream. */
class Reservoir<T> {
  readonly items: T[] = [];
  private seen = 0;
  constructor(private readonly size: number) {}
  add(item: T): void {
    this.seen++;
    if (this.items.length < this.size) this.items.push(item);
    else {
      const i = Math.floor(Math.random() * this.seen);
      if (i < this.size) this.items[i] = item;
    }
  }
}

interface TracedCall {
  workflowId: string;
  sentAt: number;
  repliedAt: number;
}

async function historyBreakdown(client: Client, calls: TracedCall[]): Promise<Breakdown> {
  const parts: Record<string, number[]> = {};
  const push = (k: string, v: number) => {
    parts[k] ??= [];
    parts[k].push(v);
  };
  const tasks: number[] = [];
  const lengths: number[] = [];
  for (const call of calls) {
    let events: temporal.api.history.v1.IHistoryEvent[];
    try {
      events = (await client.workflow.getHandle(call.workflowId).fetchHistory()).events ?? [];
    } catch {
      continue;
    }
    const at = (type: number) => {
      const e = events.find((ev) => ev.eventType === type);
      return e ? tsToMs(e.eventTime) : undefined;
    };
    const started = at(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
    const taskStarted = at(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
    const taskCompleted = at(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
    const last = events[events.length - 1];
    if (started === undefined || taskStarted === undefined || taskCompleted === undefined) continue;
    push('client→started', started - call.sentAt);
    push('started→task picked up', taskStarted - started);
    push('first workflow task (worker)', taskCompleted - taskStarted);
    push('task done→reply at client', call.repliedAt - taskCompleted);
    push('client total', call.repliedAt - call.sentAt);
    if (last?.eventTime) push('workflow start→close', tsToMs(last.eventTime) - started);
    tasks.push(
      events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).length,
    );
    lengths.push(events.length);
  }
  const pick = (q: 'p50' | 'p95') =>
    Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, summarize(v)[q]]));
  return {
    samples: tasks.length,
    median: pick('p50'),
    p95: pick('p95'),
    workflowTasksMedian: summarize(tasks).p50,
    historyEventsMedian: summarize(lengths).p50,
  };
}

function summarizeLoad(
  load: LoadResult,
): Pick<ScenarioResult, 'requests' | 'perSecond' | 'errors' | 'latencyMs' | 'byKind'> {
  const ok = load.samples.filter((s) => s.ok);
  const kinds = [...new Set(ok.map((s) => s.kind))];
  return {
    requests: ok.length,
    perSecond: Math.round((ok.length / load.seconds) * 10) / 10,
    errors: load.errors,
    latencyMs: summarize(ok.map((s) => s.latencyMs)),
    byKind: Object.fromEntries(
      kinds.map((k) => [k, summarize(ok.filter((s) => s.kind === k).map((s) => s.latencyMs))]),
    ),
  };
}

async function countRunning(client: Client, queue: string): Promise<number | null> {
  try {
    const { count } = await client.workflow.count(
      `TaskQueue = "${queue}" AND ExecutionStatus = "Running"`,
    );
    return count;
  } catch {
    return null;
  }
}

/** Waits until no workflow of the queue runs; seconds waited, or null if it did not drain. */
async function drain(client: Client, queue: string, maxSeconds: number): Promise<number | null> {
  const begin = performance.now();
  for (;;) {
    const running = await countRunning(client, queue);
    const waited = (performance.now() - begin) / 1000;
    if (running === 0) return Math.round(waited * 10) / 10;
    if (running === null || waited > maxSeconds) return null;
    await sleep(250);
  }
}

let orderSeq = 0;
// Order n has region REGIONS[n % 3] and currency CURRENCIES[n % 3]: each currency one region.
const REGIONS = ['eu', 'na', 'apac'] as const;
const CURRENCIES = ['EUR', 'USD', 'GBP'] as const;
/** An orders.place input (without commandId): varied customers, regions, currencies, products. */
function placeInput() {
  const n = orderSeq++;
  return {
    customerId: `c-${n % 997}`,
    region: REGIONS[n % 3] ?? 'eu',
    currency: CURRENCIES[n % 3] ?? 'EUR',
    items: [
      { productId: `sku-${n % 101}`, quantity: 1 + (n % 5), unitPriceMinor: 1250 },
      { productId: `sku-${(n * 7) % 101}`, quantity: 2, unitPriceMinor: 399 },
    ],
  };
}

// ---------------------------------------------------------------------------------------
// Scenarios through Temporal

interface TemporalContext {
  server: RunningServer;
  client: Client;
  apiUrl: string;
  emptyUrl: string;
  workers: WorkerHandle;
  calls: Map<string, number[]>;
  /** Time the API spent on each POST (arrival to response end), ms. */
  apiTimes: number[];
  settings: Settings;
  /** The report loads' data set: its slots, and the API server answering from it. */
  reports: { slots: ReportSlot[]; api?: { url: string; server: ReportApi } };
}

function cpuGroups(ctx: TemporalContext) {
  return {
    bench: [process.pid],
    workers: ctx.workers.pid === process.pid ? [] : [ctx.workers.pid],
    temporal: ctx.server.pid ? [ctx.server.pid] : [],
  };
}

async function commandScenario(
  ctx: TemporalContext,
  connections: number,
  seconds: number,
  measure = true,
  /** Report clients running for the same time as the command lanes, from the same start. */
  alongside?: { scenario: ScenarioKind; load: ReportLoad },
): Promise<ScenarioResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const pollAgent = new http.Agent({ keepAlive: true, maxSockets: MAX_LAG_FOLLOWERS });
  const writer = { authorization: `Bearer ${TOKENS.writer}` };
  const reader = { authorization: `Bearer ${TOKENS.reader}` };
  const lags: number[] = [];
  let timeouts = 0;
  let skipped = 0;
  let followed = 0;
  const following = new Set<Promise<void>>();
  const traced = new Reservoir<TracedCall>(HISTORY_SAMPLES);
  let successes = 0;

  const follow = (reply: CommandReplyBody, repliedAt: number) => {
    if (following.size >= MAX_LAG_FOLLOWERS) {
      skipped++;
      return;
    }
    followed++;
    const url = `${ctx.apiUrl}/trpc/orders.get?input=${encodeURIComponent(JSON.stringify({ orderId: reply.orderId }))}`;
    const p = (async () => {
      for (;;) {
        const r = await httpRequest(pollAgent, url, { method: 'GET', headers: reader }).catch(
          () => undefined,
        );
        const seen = r && parseTrpc<{ version: number }>(r).data;
        if (seen && seen.version >= reply.version) {
          lags.push(epochMs() - repliedAt);
          return;
        }
        if (epochMs() - repliedAt > LAG_TIMEOUT_MS) {
          timeouts++;
          return;
        }
        await sleep(LAG_POLL_MS);
      }
    })();
    following.add(p);
    void p.finally(() => following.delete(p));
  };

  const sent = (
    record: (s: Sample) => void,
    kind: string,
    commandId: string,
    r: Awaited<ReturnType<typeof timed>>,
  ) => {
    const parsed = parseTrpc<CommandReplyBody>(r.reply);
    const sample: Sample = {
      kind,
      ok: parsed.data !== undefined,
      sentAt: r.sentAt,
      latencyMs: r.latencyMs,
    };
    if (parsed.error) sample.error = parsed.error;
    record(sample);
    if (parsed.data && measure && ++successes % ctx.settings.lagEvery === 0) {
      const repliedAt = r.sentAt + r.latencyMs;
      follow(parsed.data, repliedAt);
      traced.add({ workflowId: `order-command-${commandId}`, sentAt: r.sentAt, repliedAt });
    }
    return parsed.data;
  };

  const step: LaneStep = async (record, stopped) => {
    const placeId = newId();
    const placed = sent(
      record,
      'place',
      placeId,
      await timed(agent, `${ctx.apiUrl}/trpc/orders.place`, {
        method: 'POST',
        headers: writer,
        body: JSON.stringify({ commandId: placeId, ...placeInput() }),
      }),
    );
    if (!placed || stopped()) return;
    const completeId = newId();
    sent(
      record,
      'complete',
      completeId,
      await timed(agent, `${ctx.apiUrl}/trpc/orders.complete`, {
        method: 'POST',
        headers: writer,
        body: JSON.stringify({ commandId: completeId, orderId: placed.orderId }),
      }),
    );
  };

  const startedAt = new Date().toISOString();
  ctx.calls.clear();
  ctx.apiTimes.length = 0;
  await ctx.workers.timings();
  benchLoop.take();
  const cpu0 = cpuSnapshot(cpuGroups(ctx));
  // CPU over the command load's window: the report load may still wait for late answers.
  let cpu1: CpuSnapshot | undefined;
  const [load, reportLoad] = await Promise.all([
    runLoad(connections, seconds, step).then((l) => {
      cpu1 = cpuSnapshot(cpuGroups(ctx));
      return l;
    }),
    alongside?.load.run(seconds),
  ]);
  cpu1 ??= cpuSnapshot(cpuGroups(ctx));
  const benchDelay = benchLoop.take();
  const workerStats = await ctx.workers.timings();
  const queue = taskQueue('commands');
  const runningAtEnd = await countRunning(ctx.client, queue);
  await Promise.all(following);
  const drainSeconds = await drain(ctx.client, queue, 120);
  agent.destroy();
  pollAgent.destroy();
  const result: ScenarioResult = {
    scenario: alongside?.scenario ?? 'command',
    server: ctx.server.kind,
    connections,
    seconds,
    startedAt,
    ...summarizeLoad(load),
    lag: { followed, timeouts, skipped, ms: summarize(lags) },
    runningAtEnd,
    drainSeconds,
    temporalCallMs: summarize(ctx.calls.get('orderCommandWorkflow') ?? []),
    apiRequestMs: summarize(ctx.apiTimes),
    cpuCores: cpuCores(cpu0, cpu1),
  };
  if (reportLoad) result.reportLoad = reportLoad;
  result.loopDelayMs = { bench: benchDelay, workers: workerStats.loopDelayMs };
  if (measure) {
    result.activityTimings = workerStats.activities;
    result.breakdown = await historyBreakdown(ctx.client, traced.items);
  }
  return result;
}

/**
 * The command load of `commandScenario`, unchanged, with a fixed-rate report load next to it
 * for the same time: reports.monthly through the API, or the SQL JOIN on orders_bench, over
 * the same slots of the reports-at-scale data set (or, with --api-reports live, reports.monthly
 * of the current month through the command bench's own API).
 */
async function reportScenario(
  ctx: TemporalContext,
  scenario: 'command-reports' | 'command-sql-report',
  connections: number,
  seconds: number,
): Promise<ScenarioResult> {
  const { reportClients: clients, reportRate: rate } = ctx.settings;
  let load: ReportLoad;
  if (scenario === 'command-sql-report') {
    load = sqlReportLoad({ clients, rate, slots: ctx.reports.slots });
  } else if (ctx.settings.apiReports === 'live') {
    const month = new Date().toISOString().slice(0, 7); // the bench reports in UTC
    load = apiReportLoad({
      apiUrl: ctx.apiUrl,
      token: TOKENS.reader,
      clients,
      rate,
      slots: CURRENCIES.flatMap((currency, i) => [
        { month, currency, region: null },
        { month, currency, region: REGIONS[i] ?? null },
      ]),
      answersFrom:
        "the command bench's own API: its current month, live (every completion invalidates it)",
    });
  } else {
    const api = ctx.reports.api;
    if (!api) throw new Error('command-reports: no report API server');
    load = apiReportLoad({
      apiUrl: api.url,
      token: TOKENS.reader,
      clients,
      rate,
      slots: ctx.reports.slots,
      answersFrom:
        'a second API server reading the reports-at-scale read model (bench- indices, Redis db 2): Redis cache, else rollup, else live',
      computed: (id) => api.server.computed(id),
    });
  }
  try {
    await load.warm();
    return await commandScenario(ctx, connections, seconds, true, { scenario, load });
  } finally {
    await load.close();
  }
}

async function emptyScenario(
  ctx: TemporalContext,
  connections: number,
  seconds: number,
  measure = true,
): Promise<ScenarioResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const traced = new Reservoir<TracedCall>(HISTORY_SAMPLES);
  let successes = 0;
  const step: LaneStep = async (record) => {
    const id = newId();
    const r = await timed(agent, `${ctx.emptyUrl}/empty`, {
      method: 'POST',
      body: JSON.stringify({ id }),
    });
    const ok = r.reply.status === 200;
    const sample: Sample = { kind: 'empty', ok, sentAt: r.sentAt, latencyMs: r.latencyMs };
    if (!ok) sample.error = `${r.reply.status} ${r.reply.body}`.slice(0, 80);
    record(sample);
    if (ok && measure && ++successes % ctx.settings.lagEvery === 0) {
      traced.add({
        workflowId: `benchcmd-empty-${id}`,
        sentAt: r.sentAt,
        repliedAt: r.sentAt + r.latencyMs,
      });
    }
  };
  const startedAt = new Date().toISOString();
  ctx.calls.clear();
  await ctx.workers.timings();
  benchLoop.take();
  const cpu0 = cpuSnapshot(cpuGroups(ctx));
  const load = await runLoad(connections, seconds, step);
  const cpu1 = cpuSnapshot(cpuGroups(ctx));
  const benchDelay = benchLoop.take();
  const workerStats = await ctx.workers.timings();
  const runningAtEnd = await countRunning(ctx.client, EMPTY_TASK_QUEUE);
  const drainSeconds = await drain(ctx.client, EMPTY_TASK_QUEUE, 60);
  agent.destroy();
  const result: ScenarioResult = {
    scenario: 'empty-workflow',
    server: ctx.server.kind,
    connections,
    seconds,
    startedAt,
    ...summarizeLoad(load),
    runningAtEnd,
    drainSeconds,
    temporalCallMs: summarize(ctx.calls.get('emptyWorkflow') ?? []),
    loopDelayMs: { bench: benchDelay, workers: workerStats.loopDelayMs },
    cpuCores: cpuCores(cpu0, cpu1),
  };
  if (measure) result.breakdown = await historyBreakdown(ctx.client, traced.items);
  return result;
}

// ---------------------------------------------------------------------------------------
// Scenarios without Temporal

const ACTOR = 'writer:benchcmd';

async function eventStoreScenario(
  kind: 'append' | 'db-command',
  connections: number,
  seconds: number,
): Promise<ScenarioResult> {
  // One database connection per lane: N appends really are concurrent.
  const pool = createPool(BENCH_DATABASE_URL, connections);
  const store = new EventStore(pool);
  const activities = createCommandActivities(store);

  const appendStep: LaneStep = async (record) => {
    const orderId = `o-${newId()}`;
    const commandId = newId();
    const at = new Date().toISOString();
    const sentAt = epochMs();
    const t = performance.now();
    let ok = true;
    try {
      await store.append(
        `order-${orderId}`,
        0,
        [
          {
            type: 'OrderPlaced',
            schemaVersion: CURRENT_SCHEMA_VERSION.OrderPlaced,
            data: {
              orderId,
              customerId: 'c-1',
              region: 'eu',
              currency: 'EUR',
              items: [
                { productId: 'sku-1', quantity: 2, unitPriceMinor: 1250 },
                { productId: 'sku-2', quantity: 2, unitPriceMinor: 399 },
              ],
              totalQuantity: 4,
              totalMinor: 3298,
              placedAt: at,
            },
          },
        ],
        {
          commandId,
          commandType: 'PlaceOrder',
          payloadHash: 'f'.repeat(64),
          metadata: {
            correlationId: commandId,
            causationId: commandId,
            actor: ACTOR,
            occurredAt: at,
          },
        },
      );
    } catch {
      ok = false;
    }
    record({ kind: 'append', ok, sentAt, latencyMs: performance.now() - t });
  };

  // What the command workflow's local activities do per command, without Temporal:
  // loadOrder (command lookup + stream read), decide, appendOrderEvents.
  const runCommand = async (command: OrderCommand, body: Record<string, unknown>) => {
    const commandId = newId();
    const input: OrderCommandInput = {
      commandId,
      payloadHash: payloadHash(`orders.${command.type}`, body),
      command,
      actor: ACTOR,
      correlationId: commandId,
    };
    const loaded = await activities.loadOrder(input);
    if (loaded.kind !== 'state') return false;
    const decision = decide(command, loaded.state);
    if (!decision.ok) return false;
    const appended = await activities.appendOrderEvents({
      input,
      expectedVersion: loaded.version,
      events: decision.events,
    });
    return appended.kind === 'appended';
  };
  const commandStep: LaneStep = async (record, stopped) => {
    const orderId = `o-${newId()}`;
    const body = placeInput();
    let sentAt = epochMs();
    let t = performance.now();
    const placed = await runCommand(
      { ...body, type: 'PlaceOrder', orderId, at: new Date().toISOString() },
      body,
    ).catch(() => false);
    record({ kind: 'place', ok: placed, sentAt, latencyMs: performance.now() - t });
    if (!placed || stopped()) return;
    sentAt = epochMs();
    t = performance.now();
    const completed = await runCommand(
      { type: 'CompleteOrder', orderId, at: new Date().toISOString() },
      { orderId },
    ).catch(() => false);
    record({ kind: 'complete', ok: completed, sentAt, latencyMs: performance.now() - t });
  };

  const startedAt = new Date().toISOString();
  const groups = { bench: [process.pid], workers: [], temporal: [] };
  const cpu0: CpuSnapshot = cpuSnapshot(groups);
  benchLoop.take();
  const load = await runLoad(connections, seconds, kind === 'append' ? appendStep : commandStep);
  const cpu1 = cpuSnapshot(groups);
  const benchDelay = benchLoop.take();
  await pool.end();
  return {
    scenario: kind === 'append' ? 'event-store append' : 'event-store command (no Temporal)',
    server: null,
    connections,
    seconds,
    startedAt,
    ...summarizeLoad(load),
    loopDelayMs: { bench: benchDelay },
    cpuCores: cpuCores(cpu0, cpu1),
  };
}

// ---------------------------------------------------------------------------------------
// Reporting

function printResults(results: ScenarioResult[]): void {
  const label = (r: ScenarioResult) => r.server ?? 'postgres';
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
      r.scenario,
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
    Object.entries(r.errors).map(([k, v]) => [label(r), r.scenario, r.connections, k, v]),
  );
  if (errors.length)
    printTable('Errors', ['server', 'scenario', 'conns', 'error', 'count'], errors);

  const pairs = ratios(results);
  printTable(
    'Command path vs empty-workflow floor (same server, same connections)',
    ['server', 'conns', 'commands/s', 'empty wf/s', 'ours/floor', 'cmd p99', 'floor p99'],
    pairs.map((p) => [
      p.server,
      p.connections,
      p.commands,
      p.empty,
      p.ratio.toFixed(2),
      p.cmdP99,
      p.emptyP99,
    ]),
  );

  const commands = results.filter((r) => r.scenario === 'command');
  printTable(
    'Projection lag: command reply → visible at that version through orders.get (10 ms polls)',
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
      'running at end',
      'drain s',
    ],
    commands.map((r) => [
      label(r),
      r.connections,
      r.lag?.followed ?? 0,
      r.lag?.timeouts ?? 0,
      r.lag?.skipped ?? 0,
      r.lag?.ms.p50 ?? Number.NaN,
      r.lag?.ms.p95 ?? Number.NaN,
      r.lag?.ms.p99 ?? Number.NaN,
      r.lag?.ms.max ?? Number.NaN,
      r.runningAtEnd ?? Number.NaN,
      r.drainSeconds ?? Number.NaN,
    ]),
  );

  const traced = results.filter((r) => r.breakdown && r.breakdown.samples > 0);
  const phases = [
    'client→started',
    'started→task picked up',
    'first workflow task (worker)',
    'task done→reply at client',
    'client total',
    'workflow start→close',
  ];
  printTable(
    'Where the time goes: sampled workflow histories vs client clock, median ms',
    ['server', 'scenario', 'conns', 'n', ...phases, 'WFTs', 'events'],
    traced.map((r) => [
      label(r),
      r.scenario,
      r.connections,
      r.breakdown?.samples ?? 0,
      ...phases.map((p) => r.breakdown?.median[p] ?? Number.NaN),
      r.breakdown?.workflowTasksMedian ?? Number.NaN,
      r.breakdown?.historyEventsMedian ?? Number.NaN,
    ]),
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
        r.scenario,
        r.connections,
        r.latencyMs.p50,
        r.apiRequestMs?.p50 ?? Number.NaN,
        r.temporalCallMs?.p50 ?? Number.NaN,
        r.latencyMs.p99,
        r.apiRequestMs?.p99 ?? Number.NaN,
        r.temporalCallMs?.p99 ?? Number.NaN,
      ]),
  );

  const activityRows = commands.flatMap((r) =>
    Object.entries(r.activityTimings ?? {}).map(([name, t]) => [
      label(r),
      r.connections,
      name,
      t.run.count,
      t.run.p50,
      t.run.p99,
      t.scheduleToStart.p50,
      t.scheduleToStart.p99,
    ]),
  );
  printTable(
    'Worker activity timings during the command load (ms)',
    [
      'server',
      'conns',
      'activity',
      'count',
      'run p50',
      'run p99',
      'sched→start p50',
      'sched→start p99',
    ],
    activityRows,
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
      r.scenario,
      r.connections,
      ...cpuKeys.map((k) => r.cpuCores[k] ?? Number.NaN),
      r.cpuMsPerRequest ?? Number.NaN,
      `${fmt(r.loopDelayMs?.bench.p99 ?? Number.NaN)}/${fmt(r.loopDelayMs?.workers?.p99 ?? Number.NaN)}`,
    ]),
  );

  const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');
  printTable(
    'Targets (issue): ≥200 commands/s, p99 ≤250 ms, ≥½ empty-workflow rate; lag p50 ≤200 ms, p99 ≤2 s',
    ['server', 'conns', 'commands/s', 'p99 ms', 'ours/floor', 'lag p50', 'lag p99', 'verdict'],
    pairs.map((p) => {
      const r = commands.find((c) => c.server === p.server && c.connections === p.connections);
      const lag = r?.lag?.ms;
      const checks = [
        `rate ${mark(p.commands >= 200)}`,
        `p99 ${mark(p.cmdP99 <= 250)}`,
        `ratio ${mark(p.ratio >= 0.5)}`,
        `lag p50 ${mark((lag?.p50 ?? Number.POSITIVE_INFINITY) <= 200)}`,
        `lag p99 ${mark((lag?.p99 ?? Number.POSITIVE_INFINITY) <= 2000 && (r?.lag?.timeouts ?? 1) === 0)}`,
      ];
      return [
        p.server,
        p.connections,
        p.commands,
        p.cmdP99,
        p.ratio.toFixed(2),
        lag?.p50 ?? Number.NaN,
        lag?.p99 ?? Number.NaN,
        checks.join(', '),
      ];
    }),
  );
}

interface Ratio {
  server: string;
  connections: number;
  commands: number;
  empty: number;
  ratio: number;
  cmdP99: number;
  emptyP99: number;
}

function ratios(results: ScenarioResult[]): Ratio[] {
  const out: Ratio[] = [];
  for (const c of results.filter((r) => r.scenario === 'command')) {
    const e = results.find(
      (r) =>
        r.scenario === 'empty-workflow' && r.server === c.server && r.connections === c.connections,
    );
    if (!e) continue;
    out.push({
      server: c.server ?? '',
      connections: c.connections,
      commands: c.perSecond,
      empty: e.perSecond,
      ratio: Math.round((c.perSecond / e.perSecond) * 1000) / 1000,
      cmdP99: c.latencyMs.p99,
      emptyP99: e.latencyMs.p99,
    });
  }
  return out;
}

interface CommandUnderLoad {
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  /** Cores of the servers the report loads use, during the cell. */
  cpuCores: { postgres: number; elasticsearch: number; redis: number };
  /** The report load's side; absent for the command load alone. */
  reports?: {
    targetPerSecond: number;
    queries: number;
    perSecond: number;
    behind: number;
    p50: number;
    p99: number;
  };
}

interface ReportComparison {
  server: string;
  connections: number;
  alone: CommandUnderLoad;
  /** null: not in this run; a string: skipped, and why. */
  withApiReports: CommandUnderLoad | string | null;
  withSqlReports: CommandUnderLoad | string | null;
  /** Command p99 with the report load / alone (above 1: the reports slowed commands). */
  p99Ratio: { api: number | null; sql: number | null };
  perSecondRatio: { api: number | null; sql: number | null };
}

/** Command p99 alone / with API report load / with SQL report load, per server and conns. */
function reportComparison(
  results: ScenarioResult[],
  skipped: SkippedScenario[],
): ReportComparison[] {
  const out: ReportComparison[] = [];
  const view = (r: ScenarioResult): CommandUnderLoad => {
    const v: CommandUnderLoad = {
      perSecond: r.perSecond,
      p50: r.latencyMs.p50,
      p95: r.latencyMs.p95,
      p99: r.latencyMs.p99,
      cpuCores: {
        postgres: r.cpuCores.postgres ?? Number.NaN,
        elasticsearch: r.cpuCores.elasticsearch ?? Number.NaN,
        redis: r.cpuCores.redis ?? Number.NaN,
      },
    };
    if (r.reportLoad) {
      const l = r.reportLoad;
      v.reports = {
        targetPerSecond: l.targetPerSecond,
        queries: l.queries,
        perSecond: l.perSecond,
        behind: l.behind,
        p50: l.latencyMs.p50,
        p99: l.latencyMs.p99,
      };
    }
    return v;
  };
  const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
  for (const alone of results.filter((r) => r.scenario === 'command')) {
    const side = (scenario: ScenarioKind) => {
      const same = (x: { server: ServerKind | null; connections: number }) =>
        x.server === alone.server && x.connections === alone.connections;
      const r = results.find((x) => x.scenario === scenario && same(x));
      if (r) return view(r);
      return skipped.find((x) => x.scenario === scenario && same(x))?.reason ?? null;
    };
    const api = side('command-reports');
    const sql = side('command-sql-report');
    if (api === null && sql === null) continue;
    const base = view(alone);
    const of = (x: CommandUnderLoad | string | null, k: 'p99' | 'perSecond') =>
      x !== null && typeof x === 'object' ? ratio(x[k], base[k]) : null;
    out.push({
      server: alone.server ?? '',
      connections: alone.connections,
      alone: base,
      withApiReports: api,
      withSqlReports: sql,
      p99Ratio: { api: of(api, 'p99'), sql: of(sql, 'p99') },
      perSecondRatio: { api: of(api, 'perSecond'), sql: of(sql, 'perSecond') },
    });
  }
  return out;
}

function printReportLoad(results: ScenarioResult[], skipped: SkippedScenario[]): void {
  const loaded = results.filter((r) => r.reportLoad);
  if (loaded.length === 0 && skipped.length === 0) return;
  // The command load alone in the same cells, for the CPU and latency next to it.
  const cells = new Set(loaded.map((r) => `${r.server} ${r.connections}`));
  const rows = results.filter(
    (r) => r.reportLoad || (r.scenario === 'command' && cells.has(`${r.server} ${r.connections}`)),
  );
  const cores = (r: ScenarioResult) =>
    ['postgres', 'elasticsearch', 'redis'].map((k) => fmt(r.cpuCores[k] ?? Number.NaN)).join('/');
  printTable(
    'Command load alone and with a fixed-rate report load next to it (open loop: a tick with every client busy is not sent, it counts as behind)',
    [
      'server',
      'scenario',
      'conns',
      'cmd/s',
      'cmd p50',
      'cmd p99',
      'lag p99',
      'reports target/s',
      'achieved/s',
      'behind',
      'max in flight',
      'report p50',
      'report p99',
      'report errors',
      'cores pg/es/redis',
      'answers',
    ],
    rows.map((r) => {
      const l = r.reportLoad;
      const answers = !l
        ? ''
        : l.cache
          ? `${l.cache.cached} cached, ${l.cache.computed} computed (${Object.entries(
              l.sources ?? {},
            )
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')})`
          : 'SQL JOIN';
      return [
        r.server ?? '',
        r.scenario,
        r.connections,
        r.perSecond,
        r.latencyMs.p50,
        r.latencyMs.p99,
        r.lag?.ms.p99 ?? Number.NaN,
        l ? l.targetPerSecond : '-',
        l ? l.perSecond : '-',
        l ? l.behind : '-',
        l ? `${l.peakInFlight}/${l.clients}` : '-',
        l ? l.latencyMs.p50 : '-',
        l ? l.latencyMs.p99 : '-',
        l ? Object.values(l.errors).reduce((a, b) => a + b, 0) : '-',
        cores(r),
        answers,
      ];
    }),
  );
  for (const l of new Map(loaded.map((r) => [r.scenario, r.reportLoad])).values())
    if (l) console.log(`  ${l.kind}: ${l.description}`);
  const reportErrors = loaded.flatMap((r) =>
    Object.entries(r.reportLoad?.errors ?? {}).map(([k, v]) => [
      r.server ?? '',
      r.scenario,
      r.connections,
      k,
      v,
    ]),
  );
  if (reportErrors.length)
    printTable('Report errors', ['server', 'scenario', 'conns', 'error', 'count'], reportErrors);
  for (const s of skipped) console.log(`  ${s.server} ${s.scenario} ${s.connections}: ${s.reason}`);

  const cell = (x: CommandUnderLoad | string | null, k: 'p99' | 'perSecond') =>
    x === null ? '-' : typeof x === 'string' ? 'skipped' : fmt(x[k]);
  const reportRate = (x: CommandUnderLoad | string | null) =>
    x !== null && typeof x === 'object' && x.reports
      ? `${fmt(x.reports.perSecond)} of ${fmt(x.reports.targetPerSecond)}`
      : '-';
  const times = (r: number | null) => (r === null ? '-' : `${r.toFixed(2)}×`);
  printTable(
    'command p99: alone / with API report load / with SQL report load (same run, back to back)',
    [
      'server',
      'conns',
      'p99 alone',
      'p99 +API reports',
      '×',
      'p99 +SQL reports',
      '×',
      'cmd/s alone',
      '+API',
      '+SQL',
      'API reports/s',
      'SQL reports/s',
    ],
    reportComparison(results, skipped).map((c) => [
      c.server,
      c.connections,
      c.alone.p99,
      cell(c.withApiReports, 'p99'),
      times(c.p99Ratio.api),
      cell(c.withSqlReports, 'p99'),
      times(c.p99Ratio.sql),
      c.alone.perSecond,
      cell(c.withApiReports, 'perSecond'),
      cell(c.withSqlReports, 'perSecond'),
      reportRate(c.withApiReports),
      reportRate(c.withSqlReports),
    ]),
  );
}

// ---------------------------------------------------------------------------------------
// The report loads' data set

interface ReportData {
  /** The (month, currency) slots both report loads take in turn. */
  slots: ReportSlot[];
  /** Why command-sql-report / command-reports cannot run, if they cannot. */
  sqlMissing: string | undefined;
  apiMissing: string | undefined;
  /** The reports data set's Elasticsearch and Redis (command-reports, same data). */
  readSide: ReturnType<typeof openReportReadSide> | undefined;
}

/**
 * What the report scenarios read: the tables (SQL) and the `bench-` read model (API) that
 * bench/reports-at-scale.ts leaves, and their slots. Prints what it found, or why a report
 * scenario will be skipped.
 */
async function prepareReportData(settings: Settings): Promise<ReportData> {
  const wantSql = settings.scenarios.includes('command-sql-report');
  const wantApi = settings.scenarios.includes('command-reports');
  const sameData = wantApi && settings.apiReports === 'same-data';
  let sqlMissing = wantSql ? await sqlReportTablesMissing() : undefined;
  let apiMissing: string | undefined;
  let readSide: ReportData['readSide'];
  let modelSlots: ReportSlot[] | undefined;
  if (sameData) {
    const side = openReportReadSide();
    readSide = side;
    cleanups.push(() => side.close());
    const model = await reportReadModel(side.es);
    if (typeof model === 'string') apiMissing = model;
    else {
      modelSlots = model.slots;
      console.log(
        `command-reports: reports.monthly from ${model.alias} → ${model.index} (${model.completedOrders} completed orders), ${model.rollups} all-regions rollups in the reports index${model.rollups === 0 ? ' (none: closed months are computed live, then cached)' : ''}`,
      );
    }
  }
  // Both loads take the same slots: the tables' (the SQL load reads them), else the read model's.
  let sqlSlots: ReportSlot[] | undefined;
  const tablesNeeded = (wantSql || sameData) && !sqlMissing;
  if (tablesNeeded) sqlSlots = await sqlReportSlots().catch(() => undefined);
  if (wantSql && !sqlMissing && !sqlSlots?.length) sqlMissing = 'no slots in the tables';
  const key = (x: ReportSlot[]) => x.map((r) => `${r.month} ${r.currency}`).join(',');
  if (sqlSlots?.length && modelSlots && key(sqlSlots) !== key(modelSlots))
    console.log(
      `warning: the tables (${sqlSlots.length} slots) and the read model (${modelSlots.length} slots) disagree: is reports-at-scale running? Both loads use the tables' slots.`,
    );
  const slots = sqlSlots?.length ? sqlSlots : (modelSlots ?? []);
  if (sameData && !apiMissing && slots.length === 0) apiMissing = 'no slots in the read model';
  if (wantSql && sqlMissing)
    console.log(`command-sql-report skipped: run reports-at-scale first (${sqlMissing})`);
  if (sameData && apiMissing)
    console.log(`command-reports skipped: run reports-at-scale first (${apiMissing})`);
  if (slots.length)
    console.log(
      `report loads: ${settings.reportRate} q/s, at most ${settings.reportClients} in flight, ${slots.length} slots (${slots[0]?.month} … ${slots[slots.length - 1]?.month}, all regions)`,
    );
  return { slots, sqlMissing, apiMissing, readSide };
}

// ---------------------------------------------------------------------------------------

export async function runBench(settings: Settings): Promise<void> {
  const began = new Date();
  console.log(
    `command-path bench ${began.toISOString()}: ${settings.seconds} s per scenario, connections ${settings.connections.join(',')}, servers ${settings.servers.join(',')}, workers ${settings.inprocessWorkers ? 'in-process' : 'in a child process'}`,
  );
  const machineAtStart = { loadavg: os.loadavg(), topProcesses: topProcesses() };
  await prepareData();
  const results: ScenarioResult[] = [];
  const serversUsed: { kind: ServerKind; address: string; flags: string[] }[] = [];
  let placement = settings.inprocessWorkers ? 'in-process' : 'child process';
  const readSide = openReadSide();
  cleanups.push(async () => {
    await Promise.allSettled([readSide.pool.end(), readSide.es.close()]);
    readSide.redis.disconnect();
  });
  const commandLoads: ScenarioKind[] = ['command', 'command-reports', 'command-sql-report'];
  const wantCommands = settings.scenarios.some((s) => commandLoads.includes(s));
  const wantTemporal = wantCommands || settings.scenarios.includes('empty');
  const skipped: SkippedScenario[] = [];
  const reports = await prepareReportData(settings);
  const { sqlMissing, apiMissing } = reports;
  const tokens = parseTokens(`reader:${TOKENS.reader},writer:${TOKENS.writer}`);
  try {
    for (const kind of wantTemporal ? settings.servers : []) {
      const mark = cleanups.length;
      const server = await startServer(kind, settings);
      cleanups.push(server.stop);
      serversUsed.push({ kind, address: server.address, flags: server.flags });
      const connection = await connectWhenReady(server.address);
      cleanups.push(() => connection.close());
      const calls = new Map<string, number[]>();
      const client = timedClient(connection, calls);
      const workers = settings.inprocessWorkers
        ? await startWorkersInProcess(settings)
        : await startWorkerChild(server.address, settings);
      placement = workers.placement;
      const api = createApiServer({
        deps: {
          ...readSide,
          temporal: client,
          esPrefix: ES_PREFIX,
          redisPrefix: REDIS_PREFIX,
          reportTimeZone: 'UTC',
        },
        tokens,
        maxBodyBytes: 256 * 1024,
      });
      const apiTimes: number[] = [];
      // The second API server, answering reports from the reports-at-scale data set.
      let reportApi: { url: string; server: ReportApi } | undefined;
      if (reports.readSide && !apiMissing) {
        const server = reportApiServer({
          readSide: reports.readSide,
          temporal: client,
          pool: readSide.pool,
          tokens,
        });
        reportApi = { url: await startHttp(server.server), server };
      }
      const ctx: TemporalContext = {
        server,
        client,
        apiUrl: await startHttp(timedServer(api, apiTimes)),
        emptyUrl: await startHttp(emptyWorkflowServer(client)),
        workers,
        calls,
        apiTimes,
        settings,
        reports: { slots: reports.slots, ...(reportApi ? { api: reportApi } : {}) },
      };
      const top = Math.max(...settings.connections);
      console.log(`[${new Date().toISOString()}] ${kind}: warm-up ${settings.warmupSeconds} s`);
      if (wantCommands) await commandScenario(ctx, top, settings.warmupSeconds, false);
      if (settings.scenarios.includes('empty'))
        await emptyScenario(ctx, top, settings.warmupSeconds, false);
      for (const n of settings.connections) {
        if (settings.scenarios.includes('command')) {
          console.log(`[${new Date().toISOString()}] ${kind}: command path, ${n} connections`);
          results.push(await commandScenario(ctx, n, settings.seconds));
        }
        // Right after `command`, the same load with report clients next to it.
        for (const scenario of ['command-reports', 'command-sql-report'] as const) {
          if (!settings.scenarios.includes(scenario)) continue;
          const skip = (reason: string) => {
            console.log(`[${new Date().toISOString()}] ${kind}: ${scenario}, ${n}: ${reason}`);
            skipped.push({ scenario, server: kind, connections: n, reason });
          };
          // On the first server only (the stack's, by default): the question is whether
          // reports slow commands, not how servers differ. --quick: its first cell only.
          if (kind !== settings.servers[0])
            skip('skipped: report scenarios run on the first server of --servers only');
          else if (settings.quick && n !== settings.connections[0])
            skip('skipped: --quick measures report scenarios in the first cell only');
          else if (scenario === 'command-sql-report' && sqlMissing)
            skip(`skipped: run reports-at-scale first (${sqlMissing})`);
          else if (scenario === 'command-reports' && apiMissing)
            skip(`skipped: run reports-at-scale first (${apiMissing})`);
          else {
            console.log(
              `[${new Date().toISOString()}] ${kind}: ${scenario}, ${n} connections + reports at ${settings.reportRate} q/s (at most ${settings.reportClients} in flight)`,
            );
            results.push(await reportScenario(ctx, scenario, n, settings.seconds));
          }
        }
        if (settings.scenarios.includes('empty')) {
          console.log(`[${new Date().toISOString()}] ${kind}: empty workflow, ${n} connections`);
          results.push(await emptyScenario(ctx, n, settings.seconds));
        }
      }
      // Stop this server's API, endpoint, workers, client and (if ours) server, in that order.
      await runCleanups(mark);
    }
    for (const kind of ['append', 'db-command'] as const) {
      if (!settings.scenarios.includes(kind)) continue;
      for (const n of settings.connections) {
        console.log(`[${new Date().toISOString()}] event store: ${kind}, ${n} connections`);
        results.push(await eventStoreScenario(kind, n, settings.seconds));
      }
    }
  } catch (err) {
    // Interrupted: what failed was torn down under it; the signal handler exits when done.
    if (interrupted) await new Promise(() => undefined);
    throw err;
  } finally {
    if (!interrupted) await runCleanups();
  }

  for (const r of results) {
    const c = r.cpuCores;
    const cores = (c.bench ?? 0) + (c.workers ?? 0) + (c.temporal ?? 0);
    if (r.perSecond > 0) r.cpuMsPerRequest = Math.round((cores * 10000) / r.perSecond) / 10;
  }
  printResults(results);
  printReportLoad(results, skipped);
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
