// The monthly report side by side: (a) cached in Redis, (b) live Elasticsearch aggregation
// (b' with the shard request cache on), (c) the SQL JOIN, (d) the materialized view,
// (e) the rollup (hook: bench/rollup-hook.ts).
import { performance } from 'node:perf_hooks';
import type { Client as EsClient } from '@elastic/elasticsearch';
import { monthlyReport } from '../../api/report-queries';
import { computeMonthlyReport } from '../../projections/elasticsearch';
import { clearReportCache, readCachedReport } from '../../projections/redis';
import { ms, summarize } from '../bench-stats';
import type { MeasureRollup } from '../rollup-hook';
import { joinReport, type ViewBuild, viewReport } from '../sql-baseline';
import type { RunContext } from './context';
import { measureQuery, type Query, type ScenarioResult } from './measure-query';
import { ES_PREFIX, REDIS_PREFIX, REPORT_TIME_ZONE } from './settings';
import { SLOTS } from './slots';

export interface ReportsAtScaleHooks {
  /** Scenario (e), "served from the rollup": see bench/rollup-hook.ts. */
  measureRollup?: MeasureRollup | undefined;
}

export interface ReportScenarios {
  scenarios: ScenarioResult[];
  /** (a): the first call of each slot, which computes and caches. */
  coldMs: number[];
}

export async function measureReportScenarios(
  ctx: RunContext,
  target: { alias: string; index: string; view: ViewBuild },
  hooks: ReportsAtScaleHooks,
): Promise<ReportScenarios> {
  const { s, es, redis, pool, phase, settle } = ctx;
  const { alias, index, view } = target;
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
          return `first call per slot (computes and caches): median ${ms(summarize(coldMs).medianMs)} ms; ${cached}/${SLOTS.length} slots cached`;
        },
      },
    ),
  );
  // ES's shard request cache would answer a repeated aggregation from memory until the
  // next refresh that changes the index; off, every query aggregates for real.
  const liveElasticsearch = (key: string, label: string, requestCache: boolean, note: string) =>
    measure(
      key,
      label,
      async (slot) => (await computeMonthlyReport(es, alias, slot)).products.length,
      {
        es,
        before: async () => {
          await es.indices.putSettings({
            index,
            settings: { 'index.requests.cache.enable': requestCache },
          });
          if (requestCache) await es.indices.clearCache({ index, request: true });
          return note;
        },
      },
    );
  scenarios.push(
    await liveElasticsearch(
      'b',
      'live Elasticsearch aggregation (computeMonthlyReport)',
      false,
      'shard request cache disabled on the index: every query aggregates',
    ),
  );
  scenarios.push(
    await liveElasticsearch(
      "b'",
      'live Elasticsearch, shard request cache on (ES default)',
      true,
      'repeats hit the request cache while the index does not change (no writes here)',
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
  return { scenarios, coldMs };
}
