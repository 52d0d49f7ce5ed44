// Reports at scale and rebuild throughput: N completed orders (1,000,000; 50,000 with
// --quick) appended to the event store in batches, the Elasticsearch read model rebuilt from
// it by the product's rebuild activities once per batch size, the same orders in normalized
// tables, then the monthly report asked five ways side by side (report-queries.ts). The data
// set stays in place afterwards: command-path's report loads read it.
//
//   npm run bench -- reports-at-scale [--quick] [--orders N] [--seconds S] [--limits 5000,2000]
//                                     [--quiet-wait S] [--rollup-months N]
import { Client as EsClient } from '@elastic/elasticsearch';
import { Redis } from 'ioredis';
import { waitForQuiet } from './harness/cpu';
import { ES_URL, REPORTS_DATA, redisUrl } from './harness/data-sets';
import { readFlags } from './harness/flags';
import { fmt, printTable, progress, writeResults } from './harness/output';
import { dataSetIndices, openDatabase } from './harness/reset-data';
import { ratio } from './harness/stats';
import { loadEventStore } from './reports-at-scale/generated-orders';
import { rebuildOnce } from './reports-at-scale/rebuild';
import { checkConsistency, measureReports, SLOTS } from './reports-at-scale/report-queries';
import { buildMonthlyView, loadBaseline } from './reports-at-scale/sql-baseline';

const flags = readFlags(['orders', 'seconds', 'limits', 'quiet-wait', 'rollup-months']);
const quick = flags.quick;
const settings = {
  orders: flags.int('orders', quick ? 50_000 : 1_000_000),
  seed: 2025,
  // 5,000 is the product's batch (REBUILD_BATCH_SIZE); the others show the trend.
  rebuildLimits: flags.ints('limits', quick ? [5_000, 2_000, 10_000] : [5_000, 2_000]),
  rebuildBudgetMs: (quick ? 10 : 12) * 60_000,
  sizes: {
    sequential: quick
      ? { runs: 200, maxMs: 5_000, minRuns: 36 }
      : { runs: 500, maxMs: 20_000, minRuns: 72 },
    windowSeconds: flags.int('seconds', quick ? 3 : 10),
    concurrency: 8,
    // Before each measured phase, up to this long for the machine to be idle.
    quietWaitMs: flags.int('quiet-wait', quick ? 15 : 90) * 1000,
    rollupMonths: flags.int('rollup-months', quick ? 2 : 12),
  },
};
const data = REPORTS_DATA;
const es = new EsClient({ node: ES_URL, requestTimeout: 300_000 });
const redis = new Redis(redisUrl(data), { maxRetriesPerRequest: 1 });
const pool = await openDatabase(data, 10);
const servers = { pool, es, redis, data };
const startedAt = new Date().toISOString();

progress(`loading ${settings.orders} orders into ${data.database} through appendBatch`);
await waitForQuiet(settings.sizes.quietWaitMs);
const load = await loadEventStore(
  pool,
  { orders: settings.orders, seed: settings.seed, batchOrders: 2_500, concurrency: 2 },
  (orders, perSecond) => progress(`  ${orders} orders, append ${Math.round(perSecond)} events/s`),
);

// An earlier run's generations and rollups (a rollup would answer a closed month before (e)
// rolls this data set up).
const stale = await dataSetIndices(es, data);
if (stale.length) await es.indices.delete({ index: stale });
const rebuilds = [];
for (const limit of settings.rebuildLimits) {
  progress(`rebuild, ${limit} events per batch`);
  await waitForQuiet(settings.sizes.quietWaitMs);
  rebuilds.push(await rebuildOnce(servers, limit, settings.rebuildBudgetMs));
}
const index = rebuilds.at(-1)?.index ?? '';
// Generations an interrupted run left behind: only the one swapped in last stays.
const generations = (await dataSetIndices(es, data)).filter((i) =>
  i.startsWith(`${data.esPrefix}orders-`),
);
if (generations.some((i) => i !== index))
  await es.indices.delete({ index: generations.filter((i) => i !== index) });
const stats = await es.indices.stats({ index, metric: ['docs', 'store'] });
const footprint = {
  luceneDocs: stats.indices?.[index]?.primaries?.docs?.count ?? null,
  storeBytes: stats.indices?.[index]?.primaries?.store?.size_in_bytes ?? 0,
};

progress('loading the normalized baseline tables and the materialized view');
const baseline = await loadBaseline(pool, settings.orders, settings.seed);
const view = await buildMonthlyView(pool);
const consistency = await checkConsistency(servers);
const { results, coldMs } = await measureReports(servers, settings.sizes, view, index);

const s = (ms: number) => (ms / 1000).toFixed(1);
const cores = (c: Record<string, number>, groups: string) =>
  groups
    .split('/')
    .map((g) => fmt(c[g.trim()] ?? 0))
    .join(' / ');
printTable(
  `Event store load: ${load.orders} orders, ${load.events} events, appendBatch of ${load.batchOrders} orders × ${load.concurrency} in flight`,
  [load],
  {
    'append events/s': (l) => Math.round(l.appendEventsPerSecond),
    'with generation': (l) => Math.round(l.eventsPerSecond),
    'append s': (l) => s(l.appendWallMs),
    'generation s': (l) => s(l.generateMs),
    'vacuum s': (l) => s(l.vacuumAnalyzeMs),
    'cores postgres / bench / other': (l) => cores(l.appendCores, 'postgres / bench / other'),
  },
);
printTable(
  'Rebuild: createRebuildIndex + rebuildBatch until a short page, in-process ("decode": CPU here)',
  rebuilds,
  {
    limit: (b) => `${b.limit}${b.complete ? '' : ' (partial)'}`,
    events: (b) => b.events,
    batches: (b) => b.batches,
    'copy s': (b) => s(b.copyMs),
    'events/s': (b) => Math.round(b.eventsPerSecond),
    'readAll s (decode)': ({ breakdownMs: d }) => `${s(d.readAll)} (${s(d.readAllDecodeCpu)})`,
    'readStreams s (decode)': ({ breakdownMs: d }) =>
      `${s(d.readStreams)} (${s(d.readStreamsDecodeCpu)})`,
    'bulk ser s': (b) => s(b.breakdownMs.bulkSerialize),
    'bulk rtt s': (b) => s(b.breakdownMs.bulkRoundTrip),
    'fold+other s': (b) => s(b.breakdownMs.foldAndOther),
    'ES index s': (b) => s(b.esIndexTimeMs),
    'cores elasticsearch / bench / postgres / other': (b) =>
      cores(b.cores, 'elasticsearch / bench / postgres / other'),
  },
);
const mib = Math.round(footprint.storeBytes / 1024 ** 2);
console.log(`  index: ${fmt(footprint.luceneDocs ?? Number.NaN)} Lucene docs, ${mib} MiB`);
console.log(
  `  baseline: ${baseline.orders} orders + ${baseline.items} items inserted in ${s(baseline.insertMs)} s, indexed in ${s(baseline.indexMs)} s; view created in ${s(view.createMs)} s, REFRESH ${s(view.refreshMs)} s, CONCURRENTLY ${s(view.refreshConcurrentlyMs)} s`,
);
console.log(
  `  consistency (2025-06 EUR, ${consistency.products} products): JOIN vs ES ${consistency.joinVsElasticsearch} mismatches, view vs ES ${consistency.viewVsElasticsearch}`,
);
printTable(
  `Monthly report (${SLOTS.length} slots in turn): one at a time, then ${settings.sizes.windowSeconds} s at ${settings.sizes.concurrency} concurrent`,
  results,
  {
    asked: (r) => `(${r.key}) ${r.label}`,
    runs: (r) => r.sequential.count,
    'median ms': (r) => r.sequential.p50,
    'p99 ms': (r) => r.sequential.p99,
    'q/s @8': (r) => Math.round(r.concurrent.perSecond),
    'median @8': (r) => r.concurrent.latency.p50,
    'p99 @8': (r) => r.concurrent.latency.p99,
    errors: (r) => Object.values(r.concurrent.errors).reduce((a, b) => a + b, 0),
    'cores postgres / elasticsearch / redis / bench / other @8': (r) =>
      cores(r.concurrent.cores, 'postgres / elasticsearch / redis / bench / other'),
  },
);
for (const r of results) {
  if (r.note) console.log(`  (${r.key}) ${r.note}`);
  const t = r.took;
  if (t)
    console.log(
      `  (${r.key}) ${fmt(t.searchesPerReport)} _search per report; took median ${t.sequential.p50} ms, p99 ${t.sequential.p99} ms (@8: ${t.concurrent.p50} / ${t.concurrent.p99} ms)`,
    );
}
const byKey = new Map(results.map((r) => [r.key, r]));
const ratios = ['c/a', 'd/a', 'c/b', 'd/b', 'c/e', 'd/e'].flatMap((pair) => {
  const [base, ours] = pair.split('/').map((k) => byKey.get(k ?? ''));
  if (!base || !ours) return [];
  const [b, o] = [base.sequential, ours.sequential];
  const throughput = ratio(ours.concurrent.perSecond, base.concurrent.perSecond);
  return [{ pair, median: ratio(b.p50, o.p50), p99: ratio(b.p99, o.p99), throughput }];
});
printTable('Baseline / ours (latency: above 1, ours faster; throughput: ours / baseline)', ratios, {
  'baseline / ours': (r) => `(${r.pair.replace('/', ') / (')})`,
  median: (r) => r.median,
  p99: (r) => r.p99,
  throughput: (r) => r.throughput,
});
writeResults('reports-at-scale', {
  startedAt,
  settings,
  load,
  rebuilds,
  footprint,
  baseline,
  view,
  consistency,
  coldMs,
  results,
  ratios,
});
progress(
  `left for command-path's report loads: ${data.database} (orders, order_items), ${data.esPrefix}orders, its rollups, Redis db ${data.redisDb}`,
);
await pool.end();
await es.close();
redis.disconnect();
