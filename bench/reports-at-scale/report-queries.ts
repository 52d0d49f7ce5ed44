// The monthly report asked five ways, each over every (month, currency) slot in turn: first
// one call at a time, then C concurrent loops for a fixed window. (a) the API's path, the
// Redis cache; (b) live Elasticsearch aggregation, (b') with the shard request cache on;
// (c) the SQL JOIN; (d) the materialized view; (e) the rollup, cold cache. Before that, the
// answers must agree: Elasticsearch, JOIN and view compared product by product.
import type { Client as EsClient } from '@elastic/elasticsearch';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { createReportActivities } from '../../activities/report-activities';
import { monthlyReport } from '../../api/report-queries';
import { ordersAlias } from '../../projections/elasticsearch/names';
import { computeMonthlyReport } from '../../projections/elasticsearch/reports';
import { ensureReportsIndex, readRollup } from '../../projections/elasticsearch/rollups';
import { clearReportCache } from '../../projections/redis/clear';
import { readCachedReport } from '../../projections/redis/report-cache';
import { type Cores, startCpuMeter, waitForQuiet } from '../harness/cpu';
import type { DataSet } from '../harness/data-sets';
import { closedLoop, timedCall } from '../harness/load';
import { fmt, progress } from '../harness/output';
import { type Summary, summarize } from '../harness/stats';
import { CURRENCIES } from './generated-orders';
import { joinReport, type ProductRow, type Slot, type ViewBuild, viewReport } from './sql-baseline';

/** Every (month, currency) of 2025, all regions. */
export const SLOTS: Slot[] = Array.from(
  { length: 12 },
  (_, m) => `2025-${String(m + 1).padStart(2, '0')}`,
).flatMap((month) => CURRENCIES.map((currency) => ({ month, currency, region: null })));

export interface Servers {
  pool: pg.Pool;
  es: EsClient;
  redis: Redis;
  data: DataSet;
}

export interface Sizes {
  /** One call at a time: stop after `runs`, or after `maxMs` once `minRuns` are done. */
  sequential: { runs: number; maxMs: number; minRuns: number };
  windowSeconds: number;
  concurrency: number;
  quietWaitMs: number;
  /** Months rolled up for (e): a month's rollup takes tens of seconds. */
  rollupMonths: number;
}

export interface QueryResult {
  key: string;
  label: string;
  note: string;
  sequential: Summary;
  concurrent: { perSecond: number; latency: Summary; errors: Record<string, number>; cores: Cores };
  /** Elasticsearch queries: `_search` requests per report, and their `took`. */
  took?: { searchesPerReport: number; sequential: Summary; concurrent: Summary };
  quiet: boolean;
}

/** `took` (time inside Elasticsearch) of every `_search` answered while watching. */
function watchSearches(es: EsClient) {
  const took: number[] = [];
  const onResponse = (
    _err: unknown,
    m: { body?: unknown; meta: { request: { params: { path: string } } } } | null,
  ) => {
    const body = m?.body as { took?: unknown } | undefined;
    if (m?.meta.request.params.path.endsWith('/_search') && typeof body?.took === 'number')
      took.push(body.took);
  };
  es.diagnostic.on('response', onResponse);
  return { took, stop: () => es.diagnostic.off('response', onResponse) };
}

async function measure(
  key: string,
  label: string,
  query: (slot: Slot) => Promise<unknown>,
  s: Servers & { sizes: Sizes; watchSearches?: boolean },
  note = '',
): Promise<QueryResult> {
  const { quiet } = await waitForQuiet(s.sizes.quietWaitMs);
  progress(`(${key}) ${label}${quiet ? '' : ' (the machine was not quiet)'}`);
  for (const slot of SLOTS) await query(slot); // warm-up: connections, caches, JIT
  let i = 0;
  const next = () => query(SLOTS[i++ % SLOTS.length] as Slot);
  const searches = s.watchSearches ? watchSearches(s.es) : undefined;
  const times: number[] = [];
  const { runs, maxMs, minRuns } = s.sizes.sequential;
  const begin = performance.now();
  for (let n = 0; n < runs && (n < minRuns || performance.now() - begin < maxMs); n++) {
    const t = performance.now();
    await next();
    times.push(performance.now() - t);
  }
  searches?.stop();
  const loaded = s.watchSearches ? watchSearches(s.es) : undefined;
  const meter = startCpuMeter();
  const load = await closedLoop(s.sizes.concurrency, s.sizes.windowSeconds, async (record) =>
    record(await timedCall('report', next)),
  );
  const cores = meter.stop();
  loaded?.stop();
  const ok = load.samples.filter((x) => x.ok);
  const result: QueryResult = {
    key,
    label,
    note,
    quiet,
    sequential: summarize(times),
    concurrent: {
      perSecond: ok.length / load.seconds,
      latency: summarize(ok.map((x) => x.latencyMs)),
      errors: load.errors,
      cores,
    },
  };
  if (searches && loaded)
    result.took = {
      searchesPerReport: searches.took.length / Math.max(1, times.length),
      sequential: summarize(searches.took),
      concurrent: summarize(loaded.took),
    };
  return result;
}

/** Products whose numbers differ between two answers (missing ones included). */
function mismatches(a: ProductRow[], b: ProductRow[]): number {
  const byId = new Map(b.map((p) => [p.productId, p]));
  let n = Math.abs(a.length - b.length);
  for (const p of a) {
    const q = byId.get(p.productId);
    const same = q && q.orderCount === p.orderCount && q.totalQuantity === p.totalQuantity;
    if (!same || q.totalSalesMinor !== p.totalSalesMinor) n++;
  }
  return n;
}

export async function checkConsistency({ es, pool, data }: Servers) {
  const slot = { month: '2025-06', currency: 'EUR', region: null };
  const fromEs = (await computeMonthlyReport(es, ordersAlias(data.esPrefix), slot)).products;
  return {
    slot,
    products: fromEs.length,
    joinVsElasticsearch: mismatches(await joinReport(pool, slot), fromEs),
    viewVsElasticsearch: mismatches(await viewReport(pool, slot), fromEs),
  };
}

export async function measureReports(s: Servers, sizes: Sizes, view: ViewBuild, index: string) {
  const { es, redis, pool, data } = s;
  const ctx = { ...s, sizes };
  const deps = {
    es,
    redis,
    esPrefix: data.esPrefix,
    redisPrefix: data.redisPrefix,
    reportTimeZone: 'UTC',
  };
  const results: QueryResult[] = [];

  // (a): the first call of each slot computes and caches; the measured ones are hits.
  await clearReportCache(redis, data.redisPrefix);
  const coldMs: number[] = [];
  for (const slot of SLOTS) {
    const t = performance.now();
    await monthlyReport(deps, slot);
    coldMs.push(performance.now() - t);
  }
  let cached = 0;
  for (const slot of SLOTS)
    if ((await readCachedReport(redis, data.redisPrefix, slot)).report) cached++;
  const cold = `first call per slot (computes and caches): median ${fmt(summarize(coldMs).p50)} ms; ${cached}/${SLOTS.length} slots cached`;
  results.push(
    await measure(
      'a',
      'Redis cache (monthlyReport, the API path)',
      (slot) => monthlyReport(deps, slot),
      ctx,
      cold,
    ),
  );

  // ES's shard request cache answers a repeated aggregation from memory until the next
  // refresh that changes the index; off, every query aggregates for real.
  for (const [key, on] of [
    ['b', false],
    ["b'", true],
  ] as const) {
    await es.indices.putSettings({ index, settings: { 'index.requests.cache.enable': on } });
    if (on) await es.indices.clearCache({ index, request: true });
    const label = `live Elasticsearch aggregation, shard request cache ${on ? 'on (ES default)' : 'off'}`;
    const live = (slot: Slot) => computeMonthlyReport(es, ordersAlias(data.esPrefix), slot);
    results.push(await measure(key, label, live, { ...ctx, watchSearches: true }));
  }
  results.push(
    await measure('c', 'SQL JOIN over orders/order_items', (slot) => joinReport(pool, slot), ctx),
  );
  const refresh = `refresh ${fmt(view.refreshMs)} ms, concurrently ${fmt(view.refreshConcurrentlyMs)} ms`;
  results.push(
    await measure('d', 'SQL materialized view', (slot) => viewReport(pool, slot), ctx, refresh),
  );

  // (e): every month rolled up by the product's activity, as the monthly schedule would;
  // then a read of the rollup as monthlyReport does on a cache miss for a closed month.
  await ensureReportsIndex(es, data.esPrefix);
  const activities = createReportActivities({ ...deps, pool });
  const months = [...new Set(SLOTS.map((x) => x.month))].slice(0, sizes.rollupMonths);
  for (const month of months) {
    const t = performance.now();
    const summary = await activities.rollupMonth({ month });
    progress(
      `  rollup ${month}: ${summary.slots} slots, ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
  }
  const fromRollup = async (slot: Slot) => {
    // Fewer months rolled up (--quick): each question asked of one of them.
    const month = months[(Number(slot.month.slice(5)) - 1) % months.length] ?? slot.month;
    const report = await readRollup(es, data.esPrefix, { ...slot, month });
    if (!report) throw new Error(`no rollup for ${month} ${slot.currency}`);
  };
  results.push(
    await measure(
      'e',
      'the rollup, cold cache (readRollup)',
      fromRollup,
      ctx,
      `${months.length} months rolled up`,
    ),
  );
  return { results, coldMs };
}
