// Benchmark "reports at scale" and "rebuild throughput":
//   npx tsx bench/reports-at-scale.ts [--quick]
// Loads N completed orders (1,000,000; 50,000 with --quick) into a dedicated database
// (orders_bench) through the event store's batch append, rebuilds the Elasticsearch read
// model from it with the product's rebuild activities (called in-process, no Temporal),
// loads the same orders into normalized tables, then measures the monthly report side by
// side: (a) cached in Redis, (b) live Elasticsearch aggregation, (c) the SQL JOIN,
// (d) a materialized view, (e) the rollup (hook: bench/rollup-hook.ts).
// Everything lives apart from app and test data: database orders_bench, index prefix
// `bench-`, Redis db 2 with key prefix `bench:`.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type DiagnosticResult, Client as EsClient } from '@elastic/elasticsearch';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { createRebuildActivities } from '../activities/rebuild-activities';
import { monthlyReport } from '../api/report-queries';
import { redactUrl } from '../config/client-options';
import { EventStore } from '../eventstore/event-store';
import {
  type GlobalCheckpoint,
  type ReadAllResult,
  START,
  type StoredEvent,
} from '../eventstore/types';
import { ordersAlias, ordersIndexPattern } from '../projections/elasticsearch/names';
import { computeMonthlyReport } from '../projections/elasticsearch/reports';
import { reportsIndexName } from '../projections/elasticsearch/rollups';
import { clearReportCache } from '../projections/redis/clear';
import { readCachedReport } from '../projections/redis/report-cache';
import {
  cpuSnapshot,
  cpuUsage,
  formatTable,
  int,
  type LatencySummary,
  measureSequential,
  measureSustained,
  ms,
  type QuietWait,
  type SustainedResult,
  summarize,
  waitForQuiet,
} from './bench-stats';
import {
  type BaselineLoadResult,
  BENCH_DATABASE,
  CURRENCIES,
  type LoadResult,
  loadBaseline,
  loadEventStore,
  prepareBenchDatabase,
} from './load-orders';
import { type MeasureRollup, measureRollup as rollupHook } from './rollup-hook';
import {
  buildMonthlyView,
  explainJoin,
  joinReport,
  type ProductRow,
  type ViewBuild,
  viewReport,
} from './sql-baseline';

// The read side of the data set; bench/command-path/report-load.ts reads it too.
export const ES_URL = 'http://127.0.0.1:9200';
export const REDIS_URL = 'redis://:orders@127.0.0.1:6379/2';
export const ES_PREFIX = 'bench-';
export const REDIS_PREFIX = 'bench:';
export const REPORT_TIME_ZONE = 'UTC';
const SEED = 2025;

export interface Settings {
  mode: 'quick' | 'full';
  orders: number;
  /** Orders per appendBatch call, and calls in flight. */
  appendBatchOrders: number;
  appendConcurrency: number;
  /** The `limit` of rebuildBatch (events per batch), one full rebuild each. */
  rebuildLimits: number[];
  /** A rebuild stops there and reports the part done (marked incomplete). */
  rebuildBudgetMs: number;
  sequential: { runs: number; maxMs: number; minRuns: number };
  windowSeconds: number;
  concurrency: number;
  /** Before each measured phase, wait up to this long for the machine to be idle. */
  quietWaitMs: number;
}

export function settingsFor(quick: boolean): Settings {
  return {
    mode: quick ? 'quick' : 'full',
    orders: quick ? 50_000 : 1_000_000,
    appendBatchOrders: 2_500,
    appendConcurrency: 2,
    // 5,000 is the product's batch (REBUILD_BATCH_SIZE); the others show the trend.
    rebuildLimits: quick ? [5_000, 2_000, 10_000] : [5_000, 2_000],
    rebuildBudgetMs: (quick ? 10 : 12) * 60_000,
    sequential: quick
      ? { runs: 200, maxMs: 5_000, minRuns: 36 }
      : { runs: 500, maxMs: 20_000, minRuns: 72 },
    windowSeconds: quick ? 3 : 10,
    quietWaitMs: quick ? 15_000 : 90_000,
    concurrency: 8,
  };
}

type Slot = { month: string; currency: string; region: string | null };

/** Every (month, currency) of 2025, all regions; queries take them in turn. */
const SLOTS: Slot[] = Array.from(
  { length: 12 },
  (_, m) => `2025-${String(m + 1).padStart(2, '0')}`,
).flatMap((month) => CURRENCIES.map((currency) => ({ month, currency, region: null })));
const slotAt = (i: number): Slot => SLOTS[i % SLOTS.length] as Slot;

function log(message: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);
}

// ---------------------------------------------------------------------------------------
// Rebuild throughput

/** Wall and this process's CPU time of some calls (the CPU part is row decoding here). */
class CallTimer {
  wallMs = 0;
  cpuMs = 0;
  calls = 0;
  async time<T>(call: () => Promise<T>): Promise<T> {
    const t = performance.now();
    const cpu = process.cpuUsage();
    try {
      return await call();
    } finally {
      const used = process.cpuUsage(cpu);
      this.wallMs += performance.now() - t;
      this.cpuMs += (used.user + used.system) / 1000;
      this.calls++;
    }
  }
}

/** The event store, timing its reads (query and row decoding, as the rebuild sees them). */
class TimedEventStore extends EventStore {
  readonly readAllTimer = new CallTimer();
  readonly readStreamsTimer = new CallTimer();
  override async readAll(after: GlobalCheckpoint, limit: number): Promise<ReadAllResult> {
    return this.readAllTimer.time(() => super.readAll(after, limit));
  }
  override async readStreams(streamIds: string[]): Promise<Map<string, StoredEvent[]>> {
    return this.readStreamsTimer.time(() => super.readStreams(streamIds));
  }
}

type Listener = (err: unknown, meta: DiagnosticResult | null) => void;

/** Time of `_bulk` requests: serializing the body here, then the round trip to Elasticsearch. */
function timeBulkRequests(es: EsClient) {
  const started = new Map<unknown, { at: number; sent: number | null }>();
  const totals = { requests: 0, serializeMs: 0, roundTripMs: 0 };
  const onSerialization: Listener = (_err, meta) => {
    const path: unknown = meta?.meta.request.params.path;
    if (typeof path === 'string' && path.includes('_bulk')) {
      const id: unknown = meta?.meta.request.id;
      started.set(id, { at: performance.now(), sent: null });
    }
  };
  const onRequest: Listener = (_err, meta) => {
    const id: unknown = meta?.meta.request.id;
    const entry = started.get(id);
    if (entry) entry.sent = performance.now();
  };
  const onResponse: Listener = (_err, meta) => {
    const id: unknown = meta?.meta.request.id;
    const entry = started.get(id);
    if (!entry) return;
    started.delete(id);
    const now = performance.now();
    const sent = entry.sent ?? entry.at;
    totals.requests++;
    totals.serializeMs += sent - entry.at;
    totals.roundTripMs += now - sent;
  };
  es.diagnostic.on('serialization', onSerialization);
  es.diagnostic.on('request', onRequest);
  es.diagnostic.on('response', onResponse);
  const stop = () => {
    es.diagnostic.off('serialization', onSerialization);
    es.diagnostic.off('request', onRequest);
    es.diagnostic.off('response', onResponse);
  };
  return { totals, stop };
}

/** `took` (time inside Elasticsearch) of every `_search` answered while watching. */
function watchSearches(es: EsClient) {
  const took: number[] = [];
  const onResponse: Listener = (_err, meta) => {
    const path: unknown = meta?.meta.request.params.path;
    const body: unknown = meta?.body;
    if (typeof path !== 'string' || !path.endsWith('/_search')) return;
    if (typeof body === 'object' && body !== null && 'took' in body) {
      const value: unknown = body.took;
      if (typeof value === 'number') took.push(value);
    }
  };
  es.diagnostic.on('response', onResponse);
  return {
    took,
    stop: () => es.diagnostic.off('response', onResponse),
  };
}

interface RebuildRun {
  /** EventStore.readAll as shipped (an earlier experiment compared another query). */
  reader: 'product';
  limit: number;
  /** False when the time budget ran out first: the numbers cover the part done. */
  complete: boolean;
  index: string;
  events: number;
  ordersWritten: number;
  batches: number;
  /** createRebuildIndex + every rebuildBatch until a short page: what events/s is about. */
  copyMs: number;
  eventsPerSecond: number;
  swapAndCatchUpMs: number;
  refreshMs: number;
  breakdownMs: {
    readAll: number;
    /** This process's CPU inside readAll: decoding rows (JSON, dates). */
    readAllDecodeCpu: number;
    readStreams: number;
    readStreamsDecodeCpu: number;
    bulkSerialize: number;
    bulkRoundTrip: number;
    /** fold + toOrderDocument + bulk operation building + the rest (the remainder). */
    foldAndOther: number;
  };
  bulkRequests: number;
  /** Elasticsearch's own indexing time for this index (summed over its threads). */
  esIndexTimeMs: number;
  cpu: Record<string, number>;
  /** CPU microseconds per event, per group, during the copy. */
  cpuMicrosPerEvent: Record<string, number>;
}

async function rebuildOnce(
  pool: pg.Pool,
  es: EsClient,
  redis: Redis,
  limit: number,
  reader: RebuildRun['reader'],
  budgetMs: number,
): Promise<RebuildRun> {
  const store = new TimedEventStore(pool);
  const { totals: bulk, stop: stopTimingBulk } = timeBulkRequests(es);
  const act = createRebuildActivities({
    store,
    pool,
    es,
    redis,
    esPrefix: ES_PREFIX,
    redisPrefix: REDIS_PREFIX,
    reportTimeZone: REPORT_TIME_ZONE,
  });
  const cpuBefore = cpuSnapshot();
  const t0 = performance.now();
  const index = await act.createRebuildIndex();
  let after: GlobalCheckpoint = START;
  let events = 0;
  let ordersWritten = 0;
  let batches = 0;
  let complete = true;
  // As rebuildReadModelWorkflow does: batches until a short page, then swap.
  for (;;) {
    const result = await act.rebuildBatch({ index, after, limit });
    after = result.checkpoint;
    events += result.events;
    ordersWritten += result.orders;
    batches++;
    if (result.events < limit) break;
    if (performance.now() - t0 > budgetMs) {
      complete = false;
      break;
    }
    if (batches % 100 === 0) {
      const rate = events / ((performance.now() - t0) / 1000);
      log(`  ${int(events)} events, ${int(rate)} events/s`);
    }
  }
  const copyMs = performance.now() - t0;
  const cpuAfter = cpuSnapshot();
  const s0 = performance.now();
  // Forced: a copy cut short by the budget is swapped in all the same (measured, not served).
  const swap = await act.swapToRebuiltIndex(index, { force: true, checkpoint: after });
  await act.dropIndices(swap.previous);
  // Catch-up: nothing is written meanwhile here, so one batch finds the store drained.
  if (complete) await act.rebuildBatch({ index, after, limit });
  await act.clearRedisReadModel('reports');
  const swapAndCatchUpMs = performance.now() - s0;
  const r0 = performance.now();
  await es.indices.refresh({ index });
  const refreshMs = performance.now() - r0;
  const stats = await es.indices.stats({ index, metric: 'indexing' });
  const esIndexTimeMs = stats.indices?.[index]?.primaries?.indexing?.index_time_in_millis ?? 0;
  stopTimingBulk();

  const cpu = cpuUsage(cpuBefore, cpuAfter);
  const reads = store.readAllTimer.wallMs + store.readStreamsTimer.wallMs;
  const known = reads + bulk.serializeMs + bulk.roundTripMs;
  return {
    reader,
    limit,
    complete,
    index,
    events,
    ordersWritten,
    batches,
    copyMs,
    eventsPerSecond: events / (copyMs / 1000),
    swapAndCatchUpMs,
    refreshMs,
    breakdownMs: {
      readAll: store.readAllTimer.wallMs,
      readAllDecodeCpu: store.readAllTimer.cpuMs,
      readStreams: store.readStreamsTimer.wallMs,
      readStreamsDecodeCpu: store.readStreamsTimer.cpuMs,
      bulkSerialize: bulk.serializeMs,
      bulkRoundTrip: bulk.roundTripMs,
      foldAndOther: Math.max(0, copyMs - known),
    },
    bulkRequests: bulk.requests,
    esIndexTimeMs,
    cpu,
    cpuMicrosPerEvent: Object.fromEntries(
      Object.entries(cpu).map(([g, cores]) => [
        g,
        Number((((cores * copyMs) / 1000 / Math.max(1, events)) * 1e6).toFixed(1)),
      ]),
    ),
  };
}

/** Removes the bench generations but `keep` (by name: wildcard deletes may be refused). */
async function dropBenchIndices(es: EsClient, keep: string | null): Promise<void> {
  const rows = await es.cat.indices({
    index: ordersIndexPattern(ES_PREFIX),
    h: 'index',
    format: 'json',
    expand_wildcards: 'all',
  });
  const names = rows
    .map((r) => r.index)
    .filter((n): n is string => typeof n === 'string' && n !== keep);
  if (names.length > 0) await es.indices.delete({ index: names });
}

/**
 * Removes the rollups an earlier run left (they stay for bench/command-path.ts): until (e)
 * rolls this data set up, a closed month must not be answered from another run's rollup.
 */
async function dropBenchRollups(es: EsClient): Promise<void> {
  await es.indices.delete({ index: reportsIndexName(ES_PREFIX) }, { ignore: [404] });
}

/** The read model and tables this run leaves behind (bench/command-path.ts reports on them). */
async function leftBehind(es: EsClient, pool: pg.Pool) {
  const alias = ordersAlias(ES_PREFIX);
  const reportsIndex = reportsIndexName(ES_PREFIX);
  const aliases = await es.indices.getAlias({ name: alias }, { ignore: [404] });
  const manifests = (region?: string) =>
    es.count(
      {
        index: reportsIndex,
        query: {
          bool: {
            filter: [{ term: { kind: 'manifest' } }, ...(region ? [{ term: { region } }] : [])],
          },
        },
      },
      { ignore: [404] },
    );
  const [all, allRegions, completed] = await Promise.all([
    manifests(),
    manifests('*'),
    pool.query<{ n: string }>("select count(*) as n from orders where status = 'completed'"),
  ]);
  return {
    alias,
    index: Object.keys(aliases).find((k) => k !== 'error' && k !== 'status') ?? null,
    reportsIndex,
    rollups: all.count ?? 0,
    allRegionsRollups: allRegions.count ?? 0,
    database: BENCH_DATABASE,
    completedOrdersInTables: Number(completed.rows[0]?.n ?? 0),
  };
}

// ---------------------------------------------------------------------------------------
// Servers going away mid-run

interface Interruption {
  phase: string;
  at: string;
  error: string;
  down: string[];
}

async function serversDown(pool: pg.Pool, es: EsClient, redis: Redis): Promise<string[]> {
  const checks: [string, () => Promise<unknown>][] = [
    ['postgres', () => pool.query('select 1')],
    ['elasticsearch', () => es.cluster.health({ timeout: '5s' }, { requestTimeout: 5_000 })],
    ['redis', () => redis.ping()],
  ];
  const results = await Promise.allSettled(checks.map(([, check]) => check()));
  return checks.filter((_, i) => results[i]?.status === 'rejected').map(([name]) => name);
}

/** Errors of a server that went away (it may be back by the time we look). */
function looksLikeOutage(err: unknown): boolean {
  const text = `${err instanceof Error ? `${err.name} ${err.message}` : String(err)}`;
  return /ECONNREFUSED|ECONNRESET|EPIPE|socket hang up|Connection terminated|Connection is closed|terminating connection|the database system is (starting up|shutting down)|NoLivingConnections|ConnectionError|MaxRetriesPerRequest/i.test(
    text,
  );
}

async function waitForServers(pool: pg.Pool, es: EsClient, redis: Redis): Promise<void> {
  const deadline = performance.now() + 15 * 60_000;
  for (;;) {
    const down = await serversDown(pool, es, redis);
    if (down.length === 0) {
      // Elasticsearch answers before its shards are back: wait for them too.
      await es.cluster.health({ wait_for_status: 'yellow', timeout: '60s' });
      return;
    }
    if (performance.now() > deadline) throw new Error(`servers still down: ${down.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

// ---------------------------------------------------------------------------------------
// Reports at scale

interface ScenarioResult {
  key: string;
  label: string;
  measured: boolean;
  note: string | null;
  sequential: LatencySummary | null;
  sustained: SustainedResult | null;
  /** For Elasticsearch queries: `_search` requests per report and their `took`. */
  elasticsearch?: {
    searchesPerReport: number;
    /** `took` of the sequential runs' searches, then of those at concurrency. */
    tookSequential: LatencySummary;
    tookUnderLoad: LatencySummary;
  };
}

type Query = (slot: Slot) => Promise<number>;

async function measureQuery(
  key: string,
  label: string,
  query: Query,
  s: Settings,
  note: string | null = null,
  es?: EsClient,
): Promise<ScenarioResult> {
  log(`measuring (${key}) ${label}`);
  // Warm-up: every slot once (connections, caches, JIT); not counted.
  for (const slot of SLOTS) await query(slot);
  let calls = 0;
  const counted = (i: number) => {
    calls++;
    return query(slotAt(i));
  };
  const searches = es ? watchSearches(es) : null;
  const sequential = await measureSequential(counted, s.sequential);
  searches?.stop();
  const sequentialCalls = calls;
  const loadedSearches = es ? watchSearches(es) : null;
  const sustained = await measureSustained(counted, s.windowSeconds, s.concurrency);
  loadedSearches?.stop();
  if (sustained.errors > 0) {
    log(`  ${sustained.errors} errors in the window, first: ${sustained.firstError}`);
  }
  const result: ScenarioResult = { key, label, measured: true, note, sequential, sustained };
  if (searches && loadedSearches) {
    result.elasticsearch = {
      searchesPerReport: searches.took.length / Math.max(1, sequentialCalls),
      tookSequential: summarize(searches.took),
      tookUnderLoad: summarize(loadedSearches.took),
    };
  }
  return result;
}

function sameProducts(a: ProductRow[], b: ProductRow[]): number {
  const byId = new Map(b.map((p) => [p.productId, p]));
  let mismatches = Math.abs(a.length - b.length);
  for (const p of a) {
    const q = byId.get(p.productId);
    if (
      !q ||
      q.orderCount !== p.orderCount ||
      q.totalQuantity !== p.totalQuantity ||
      q.totalSalesMinor !== p.totalSalesMinor
    ) {
      mismatches++;
    }
  }
  return mismatches;
}

// ---------------------------------------------------------------------------------------

export interface ReportsAtScaleHooks {
  /** Scenario (e), "served from the rollup": see bench/rollup-hook.ts. */
  measureRollup?: MeasureRollup | undefined;
}

export async function runReportsAtScale(s: Settings, hooks: ReportsAtScaleHooks = {}) {
  const startedAt = new Date().toISOString();
  const machine = {
    os: `${os.type()} ${os.release()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? null,
    totalMemoryGiB: Number((os.totalmem() / 1024 ** 3).toFixed(1)),
    node: process.version,
    loadAverageAtStart: os.loadavg(),
    note: 'PostgreSQL, Elasticsearch, Redis, Temporal and this process share the machine',
  };
  const es = new EsClient({ node: ES_URL, requestTimeout: 300_000 });
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const pool = await prepareBenchDatabase(Math.max(10, s.concurrency + 2));
  const timestamps: Record<string, string> = { startedAt };
  const quiet: Record<string, QuietWait> = {};
  const settle = async (phase: string) => {
    const wait = await waitForQuiet(s.quietWaitMs);
    quiet[phase] = wait;
    if (!wait.quiet) {
      log(
        `  machine still busy before ${phase}: ${wait.busyCores.toFixed(2)} cores in use by others`,
      );
    }
  };
  const mark = (name: string) => {
    timestamps[name] = new Date().toISOString();
  };
  try {
    // (GET / is not served by the stack's integ-test-zip distribution: ask the nodes.)
    const esNodes = await es.cat.nodes({ h: 'version', format: 'json' });
    const pgVersion = (await pool.query<{ v: string }>('show server_version')).rows[0]?.v;
    const servers = { elasticsearch: esNodes[0]?.version ?? null, postgres: pgVersion ?? null };

    // Other people's test runs stop and restart the servers on this shared machine: a
    // phase hit by that is redone from its start once the stack answers again.
    const interruptions: Interruption[] = [];
    const phase = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await run();
        } catch (err) {
          const down = await serversDown(pool, es, redis);
          if (attempt >= 5 || (down.length === 0 && !looksLikeOutage(err))) throw err;
          const error = err instanceof Error ? err.message : String(err);
          log(`${name}: interrupted (${error.slice(0, 120)}); down: ${down.join(', ') || '?'}`);
          interruptions.push({ phase: name, at: new Date().toISOString(), error, down });
          await waitForServers(pool, es, redis);
          log(`${name}: servers back, redoing the phase`);
        }
      }
    };

    // 1. Load the event store.
    log(`loading ${int(s.orders)} orders into ${BENCH_DATABASE} through appendBatch`);
    await settle('load');
    const load: LoadResult = await phase('load', () =>
      loadEventStore(pool, {
        orders: s.orders,
        seed: SEED,
        batchOrders: s.appendBatchOrders,
        concurrency: s.appendConcurrency,
        onProgress: (done, r) =>
          log(`  ${int(done)} orders, append ${int(r.events / (r.appendWallMs / 1000))} events/s`),
      }),
    );
    mark('eventStoreLoaded');
    log(`appendBatch: ${int(load.appendEventsPerSecond)} events/s`);

    // 2. Rebuild the Elasticsearch read model, once per batch size (and reader).
    await phase('drop old bench indices', async () => {
      await dropBenchIndices(es, null);
      await dropBenchRollups(es);
    });
    const rebuilds: RebuildRun[] = [];
    const plan: [number, RebuildRun['reader']][] = s.rebuildLimits.map((l) => [l, 'product']);
    for (const [limit, reader] of plan) {
      const name = `rebuild ${reader} ${limit}`;
      log(`${name}`);
      await settle(name);
      const run = await phase(name, () =>
        rebuildOnce(pool, es, redis, limit, reader, s.rebuildBudgetMs),
      );
      const partial = run.complete ? '' : ' (time budget ran out: partial)';
      log(
        `  ${int(run.events)} events in ${ms(run.copyMs)} ms: ${int(run.eventsPerSecond)} events/s${partial}`,
      );
      rebuilds.push(run);
    }
    mark('rebuildsDone');
    const alias = ordersAlias(ES_PREFIX);
    const index = rebuilds[rebuilds.length - 1]?.index ?? alias;
    // Generations an interrupted attempt left behind.
    await phase('drop stray bench indices', () => dropBenchIndices(es, index));
    const esIndex = await phase('index stats', async () => {
      const [indexStats, segments] = await Promise.all([
        es.indices.stats({ index, metric: ['docs', 'store', 'segments'] }),
        es.cat.segments({ index, format: 'json' }),
      ]);
      const primaries = indexStats.indices?.[index]?.primaries;
      return {
        index,
        luceneDocs: primaries?.docs?.count ?? null,
        storeBytes: primaries?.store?.size_in_bytes ?? null,
        segments: segments.length,
      };
    });

    // 3. The traditional baseline in the same database.
    log('loading the normalized baseline tables');
    const baseline: BaselineLoadResult = await phase('baseline load', () =>
      loadBaseline(pool, { orders: s.orders, seed: SEED }),
    );
    log('building the materialized view');
    const view: ViewBuild = await phase('materialized view', () => buildMonthlyView(pool));
    mark('baselineLoaded');
    const joinPlan = await phase('explain', () =>
      explainJoin(pool, { month: '2025-06', currency: 'EUR' }),
    );

    // The three answers must agree before their speed means anything.
    const checkSlot = { month: '2025-06', currency: 'EUR', region: null };
    const consistency = await phase('consistency', async () => {
      const fromEs = (await computeMonthlyReport(es, alias, checkSlot)).products;
      const fromJoin = await joinReport(pool, checkSlot);
      const fromView = await viewReport(pool, checkSlot);
      return {
        slot: checkSlot,
        products: fromEs.length,
        joinVsElasticsearchMismatches: sameProducts(fromJoin, fromEs),
        viewVsElasticsearchMismatches: sameProducts(fromView, fromEs),
      };
    });
    log(`consistency ${JSON.stringify(consistency)}`);

    // 4. The report, side by side.
    const deps = {
      es,
      redis,
      esPrefix: ES_PREFIX,
      redisPrefix: REDIS_PREFIX,
      reportTimeZone: REPORT_TIME_ZONE,
    };
    const scenarios: ScenarioResult[] = [];
    const measure = (
      key: string,
      label: string,
      query: Query,
      options: { note?: string; es?: EsClient; before?: () => Promise<string | null> } = {},
    ) =>
      phase(`(${key})`, async () => {
        await settle(`(${key})`);
        const note = (await options.before?.()) ?? options.note ?? null;
        return measureQuery(key, label, query, s, note, options.es);
      });

    let coldMs: number[] = [];
    scenarios.push(
      await measure(
        'a',
        'reports.monthly, Redis cache (monthlyReport)',
        async (slot) => (await monthlyReport(deps, slot)).products.length,
        {
          // The first call of each slot computes and caches; the measured ones are hits.
          before: async () => {
            await clearReportCache(redis, REDIS_PREFIX);
            coldMs = [];
            for (const slot of SLOTS) {
              const t = performance.now();
              await monthlyReport(deps, slot);
              coldMs.push(performance.now() - t);
            }
            let cached = 0;
            for (const slot of SLOTS) {
              if ((await readCachedReport(redis, REDIS_PREFIX, slot)).report) cached++;
            }
            return `first call per slot (computes and caches): median ${ms(median(coldMs))} ms; ${cached}/${SLOTS.length} slots cached`;
          },
        },
      ),
    );
    // ES's shard request cache would answer a repeated aggregation from memory until the
    // next refresh that changes the index; off, every query aggregates for real.
    scenarios.push(
      await measure(
        'b',
        'live Elasticsearch aggregation (computeMonthlyReport)',
        async (slot) => (await computeMonthlyReport(es, alias, slot)).products.length,
        {
          es,
          before: async () => {
            await es.indices.putSettings({
              index,
              settings: { 'index.requests.cache.enable': false },
            });
            return 'shard request cache disabled on the index: every query aggregates';
          },
        },
      ),
    );
    scenarios.push(
      await measure(
        "b'",
        'live Elasticsearch, shard request cache on (ES default)',
        async (slot) => (await computeMonthlyReport(es, alias, slot)).products.length,
        {
          es,
          before: async () => {
            await es.indices.putSettings({
              index,
              settings: { 'index.requests.cache.enable': true },
            });
            await es.indices.clearCache({ index, request: true });
            return 'repeats hit the request cache while the index does not change (no writes here)';
          },
        },
      ),
    );
    scenarios.push(
      await measure(
        'c',
        'SQL JOIN over orders/order_items',
        async (slot) => (await joinReport(pool, slot)).length,
      ),
    );
    scenarios.push(
      await measure(
        'd',
        'SQL materialized view',
        async (slot) => (await viewReport(pool, slot)).length,
        {
          note: `refresh ${ms(view.refreshMs)} ms, concurrently ${ms(view.refreshConcurrentlyMs)} ms`,
        },
      ),
    );
    const rollupQuery = hooks.measureRollup
      ? await phase('(e) prepare', async () =>
          hooks.measureRollup
            ? hooks.measureRollup({
                es,
                redis,
                pool,
                esPrefix: ES_PREFIX,
                redisPrefix: REDIS_PREFIX,
                reportTimeZone: REPORT_TIME_ZONE,
                slots: SLOTS,
                quick: s.mode === 'quick',
              })
            : null,
        )
      : null;
    scenarios.push(
      rollupQuery
        ? await measure('e', 'served from the rollup', rollupQuery)
        : {
            key: 'e',
            label: 'served from the rollup',
            measured: false,
            note: 'not measured: fill in bench/rollup-hook.ts (measureRollup)',
            sequential: null,
            sustained: null,
          },
    );
    mark('finishedAt');

    const ratios = ratiosOf(scenarios);
    const result = {
      benchmark: 'reports-at-scale',
      mode: s.mode,
      timestamps,
      quietWaits: quiet,
      interruptions,
      machine,
      servers,
      settings: s,
      isolation: {
        database: BENCH_DATABASE,
        esIndexPrefix: ES_PREFIX,
        redis: `${redactUrl(REDIS_URL)} prefix ${REDIS_PREFIX}`,
      },
      load,
      rebuilds,
      esIndex,
      baseline: { load: baseline, view, joinPlan },
      consistency,
      reports: { slots: SLOTS.length, firstCallsMs: coldMs, scenarios },
      ratios,
    };
    printAll(result);
    const dir = fileURLToPath(new URL('./results/', import.meta.url));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'reports-at-scale.json'), `${JSON.stringify(result, null, 2)}\n`);
    log('wrote bench/results/reports-at-scale.json');
    // What stays for bench/command-path.ts (command-reports, command-sql-report).
    const left = await leftBehind(es, pool).catch((err: unknown) => String(err));
    if (typeof left === 'string') log(`left behind: could not tell (${left})`);
    else
      log(
        `left behind for bench/command-path.ts: ${left.alias} → ${left.index ?? 'nothing'}; ${int(left.rollups)} rollups (${int(left.allRegionsRollups)} of all regions) in ${left.reportsIndex}; Redis ${redactUrl(REDIS_URL)} prefix ${REDIS_PREFIX}; ${left.database}: ${int(left.completedOrdersInTables)} completed orders in orders/order_items, view monthly_product_sales`,
      );
    return result;
  } finally {
    await pool.end();
    await es.close();
    redis.disconnect();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid] ?? Number.NaN) + (sorted[mid - 1] ?? Number.NaN)) / 2;
}

interface Ratio {
  baseline: string;
  ours: string;
  /** baseline median latency / ours: above 1, ours answers faster. */
  medianLatency: number;
  p99Latency: number;
  /** ours queries/s / baseline's: above 1, ours serves more. */
  throughput: number;
}

function ratiosOf(scenarios: ScenarioResult[]): Ratio[] {
  const byKey = new Map(scenarios.map((sc) => [sc.key, sc]));
  const pairs: [string, string][] = [
    ['c', 'a'],
    ['d', 'a'],
    ['c', 'b'],
    ['d', 'b'],
    ['c', 'e'],
    ['d', 'e'],
  ];
  const ratios: Ratio[] = [];
  for (const [base, ours] of pairs) {
    const b = byKey.get(base);
    const o = byKey.get(ours);
    if (!b?.sequential || !o?.sequential || !b.sustained || !o.sustained) continue;
    ratios.push({
      baseline: base,
      ours,
      medianLatency: b.sequential.medianMs / o.sequential.medianMs,
      p99Latency: b.sequential.p99Ms / o.sequential.p99Ms,
      throughput: o.sustained.queriesPerSecond / b.sustained.queriesPerSecond,
    });
  }
  return ratios;
}

type Result = Awaited<ReturnType<typeof runReportsAtScale>>;

function printAll(r: {
  mode: string;
  machine: { cpus: number; totalMemoryGiB: number; node: string };
  settings: Settings;
  load: LoadResult;
  rebuilds: RebuildRun[];
  esIndex: { luceneDocs: number | null; storeBytes: number | null; segments: number };
  baseline: { load: BaselineLoadResult; view: ViewBuild };
  consistency: {
    products: number;
    joinVsElasticsearchMismatches: number;
    viewVsElasticsearchMismatches: number;
  };
  reports: { scenarios: ScenarioResult[] };
  ratios: Ratio[];
  quietWaits: Record<string, QuietWait>;
  interruptions: Interruption[];
}): void {
  const { load, settings: s } = r;
  console.log(
    `\n=== reports at scale (${r.mode}): ${int(s.orders)} orders, ${r.machine.cpus} cores, ${r.machine.totalMemoryGiB} GiB, node ${r.machine.node} ===`,
  );

  console.log('\nLoad: event store through EventStore.appendBatch');
  console.log(
    formatTable(
      ['what', 'value'],
      [
        [
          'orders / events / commands',
          `${int(load.orders)} / ${int(load.events)} / ${int(load.commands)}`,
        ],
        ['batch (orders) x calls in flight', `${int(load.batchOrders)} x ${load.concurrency}`],
        ['appendBatch events/s (append stages only)', int(load.appendEventsPerSecond)],
        ['end-to-end events/s (with generation)', int(load.eventsPerSecond)],
        ['append wall s', (load.appendWallMs / 1000).toFixed(1)],
        ['generation (decide/evolve/hash) s', (load.generateMs / 1000).toFixed(1)],
        ['vacuum analyze s', (load.vacuumAnalyzeMs / 1000).toFixed(1)],
        [
          'cores during append: pg / bench / other',
          `${cpuOf(load.appendCpu, 'postgres (orders_bench)')} / ${cpuOf(load.appendCpu, 'bench process')} / ${otherCpu(load.appendCpu)}`,
        ],
        [
          'CPU µs per event: pg backends / pg background / bench',
          `${cpuOf(load.appendCpuMicrosPerEvent, 'postgres (orders_bench)')} / ${cpuOf(load.appendCpuMicrosPerEvent, 'postgres (background)')} / ${cpuOf(load.appendCpuMicrosPerEvent, 'bench process')}`,
        ],
        [
          `ceiling if ${r.machine.cpus} idle cores did only this`,
          `${int(ceiling(load.appendCpuMicrosPerEvent, r.machine.cpus))} events/s`,
        ],
      ],
    ),
  );

  console.log(
    '\nRebuild throughput: createRebuildIndex + rebuildBatch until a short page, activities in-process ("decode" = this process\'s CPU in the call)',
  );
  console.log(
    formatTable(
      [
        'reader',
        'limit',
        'events',
        'batches',
        'copy s',
        'events/s',
        'readAll s (decode)',
        'readStreams s (decode)',
        'bulk ser s',
        'bulk rtt s',
        'fold+other s',
        'ES index s',
        'cores pg/es/bench/other',
      ],
      r.rebuilds.map((b) => [
        b.complete ? b.reader : `${b.reader} (partial)`,
        int(b.limit),
        int(b.events),
        int(b.batches),
        (b.copyMs / 1000).toFixed(1),
        int(b.eventsPerSecond),
        `${(b.breakdownMs.readAll / 1000).toFixed(1)} (${(b.breakdownMs.readAllDecodeCpu / 1000).toFixed(1)})`,
        `${(b.breakdownMs.readStreams / 1000).toFixed(1)} (${(b.breakdownMs.readStreamsDecodeCpu / 1000).toFixed(1)})`,
        (b.breakdownMs.bulkSerialize / 1000).toFixed(1),
        (b.breakdownMs.bulkRoundTrip / 1000).toFixed(1),
        (b.breakdownMs.foldAndOther / 1000).toFixed(1),
        (b.esIndexTimeMs / 1000).toFixed(1),
        `${cpuOf(b.cpu, 'postgres (orders_bench)')}/${cpuOf(b.cpu, 'elasticsearch')}/${cpuOf(b.cpu, 'bench process')}/${otherCpu(b.cpu)}`,
      ]),
    ),
  );
  console.log(
    `index: ${int(r.esIndex.luceneDocs ?? Number.NaN)} Lucene docs (orders + nested items), ${int((r.esIndex.storeBytes ?? 0) / 1024 ** 2)} MiB, ${r.esIndex.segments} segments`,
  );

  console.log(
    `\nBaseline: ${int(r.baseline.load.orders)} orders + ${int(r.baseline.load.items)} items inserted in ${(r.baseline.load.insertMs / 1000).toFixed(1)} s, indexed in ${(r.baseline.load.indexMs / 1000).toFixed(1)} s, analyzed in ${(r.baseline.load.analyzeMs / 1000).toFixed(1)} s; view: ${int(r.baseline.view.rows)} rows, create ${ms(r.baseline.view.createMs)} ms, REFRESH ${ms(r.baseline.view.refreshMs)} ms, REFRESH CONCURRENTLY ${ms(r.baseline.view.refreshConcurrentlyMs)} ms`,
  );
  console.log(
    `consistency (2025-06 EUR, ${r.consistency.products} products): JOIN vs ES ${r.consistency.joinVsElasticsearchMismatches} mismatches, view vs ES ${r.consistency.viewVsElasticsearchMismatches}`,
  );

  console.log(
    `\nReports at scale: monthly report (month x currency, all regions, ${SLOTS.length} slots in turn); sequential runs, then ${s.windowSeconds} s at concurrency ${s.concurrency}`,
  );
  console.log(
    formatTable(
      [
        'scenario',
        'runs',
        'median ms',
        'p99 ms',
        'q/s @c',
        'median ms @c',
        'p99 ms @c',
        'cores pg/es/redis/bench/other @c',
      ],
      r.reports.scenarios.map((sc) =>
        sc.sequential && sc.sustained
          ? [
              `(${sc.key}) ${sc.label}`,
              int(sc.sequential.count),
              ms(sc.sequential.medianMs),
              ms(sc.sequential.p99Ms),
              int(sc.sustained.queriesPerSecond),
              ms(sc.sustained.latency.medianMs),
              ms(sc.sustained.latency.p99Ms),
              `${cpuOf(sc.sustained.cpu, 'postgres (orders_bench)')}/${cpuOf(sc.sustained.cpu, 'elasticsearch')}/${cpuOf(sc.sustained.cpu, 'redis')}/${cpuOf(sc.sustained.cpu, 'bench process')}/${otherCpu(sc.sustained.cpu)}`,
            ]
          : [`(${sc.key}) ${sc.label}`, '-', '-', '-', '-', '-', '-', '-'],
      ),
    ),
  );
  for (const sc of r.reports.scenarios) {
    if (sc.note) console.log(`  (${sc.key}) ${sc.note}`);
    if (sc.elasticsearch) {
      const e = sc.elasticsearch;
      console.log(
        `  (${sc.key}) ${e.searchesPerReport.toFixed(2)} _search requests per report; took (time inside Elasticsearch per request) median ${ms(e.tookSequential.medianMs)} ms, p99 ${ms(e.tookSequential.p99Ms)} ms; at concurrency: median ${ms(e.tookUnderLoad.medianMs)} ms, p99 ${ms(e.tookUnderLoad.p99Ms)} ms`,
      );
    }
  }

  console.log('\nRatios baseline / ours (latency: >1 = ours faster; throughput: ours / baseline)');
  console.log(
    formatTable(
      ['baseline vs ours', 'median latency', 'p99 latency', 'throughput'],
      r.ratios.map((x) => [
        `(${x.baseline}) vs (${x.ours})`,
        `${x.medianLatency.toFixed(1)}x`,
        `${x.p99Latency.toFixed(1)}x`,
        `${x.throughput.toFixed(1)}x`,
      ]),
    ),
  );
  const busy = Object.entries(r.quietWaits).filter(([, w]) => !w.quiet);
  console.log(
    `\nMachine: ${busy.length} of ${Object.keys(r.quietWaits).length} phases started while others still used the CPU${busy.length ? ` (${busy.map(([p, w]) => `${p}: ${w.busyCores.toFixed(1)} cores`).join('; ')})` : ''}`,
  );
  console.log(
    `Interruptions (servers stopped by someone else, phase redone): ${r.interruptions.length}${r.interruptions.length ? ` (${r.interruptions.map((x) => `${x.phase}: ${x.down.join('+') || '?'}`).join('; ')})` : ''}`,
  );
}

/**
 * Events/s if `cores` idle cores ran only the benchmark's own work at the measured CPU cost
 * per event: an estimate for a machine nobody else uses (a contended one inflates the cost).
 */
function ceiling(microsPerEvent: Record<string, number>, cores: number): number {
  const own = [
    'postgres (orders_bench)',
    'postgres (background)',
    'bench process',
    'elasticsearch',
  ];
  const micros = own.reduce((sum, g) => sum + (microsPerEvent[g] ?? 0), 0);
  return micros > 0 ? (cores * 1e6) / micros : Number.NaN;
}

function cpuOf(cpu: Record<string, number>, group: string): string {
  return (cpu[group] ?? 0).toFixed(2);
}

/** Cores used by everything outside the benchmark's own servers and process. */
function otherCpu(cpu: Record<string, number>): string {
  const others = ['postgres (other databases)', 'temporal', 'everything else'];
  return others.reduce((sum, g) => sum + (cpu[g] ?? 0), 0).toFixed(2);
}

export type ReportsAtScaleResult = Result;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
  await runReportsAtScale(settingsFor(values.quick ?? false), { measureRollup: rollupHook });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
