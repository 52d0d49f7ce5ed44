// One run of "reports at scale" and "rebuild throughput", phase by phase: load the event
// store, rebuild the read model per batch size, load the SQL baseline, check the answers
// agree, measure the report scenarios; then print the tables and write the results JSON.
import { Client as EsClient } from '@elastic/elasticsearch';
import { Redis } from 'ioredis';
import { redactUrl } from '../../config/client-options';
import { ordersAlias } from '../../projections/elasticsearch';
import { int, type QuietWait, waitForQuiet } from '../bench-stats';
import {
  type BaselineLoadResult,
  BENCH_DATABASE,
  type LoadResult,
  loadBaseline,
  loadEventStore,
  prepareBenchDatabase,
} from '../load-orders';
import { buildMonthlyView, explainJoin, type ViewBuild } from '../sql-baseline';
import { checkConsistency } from './consistency';
import type { RunContext } from './context';
import { logLeftBehind } from './left-behind';
import { log } from './log';
import { type Interruption, redoAfterOutages } from './outages';
import { printAll } from './print';
import { ratiosOf } from './ratios';
import { dropBenchIndices, dropBenchRollups, indexFootprint } from './read-model-indices';
import { rebuildPerLimit } from './rebuild-throughput';
import { measureReportScenarios, type ReportsAtScaleHooks } from './report-scenarios';
import { machineAtStart, type ReportsAtScaleResult, writeResults } from './results';
import { ES_PREFIX, ES_URL, REDIS_PREFIX, REDIS_URL, SEED, type Settings } from './settings';
import { SLOTS } from './slots';

export async function runReportsAtScale(
  s: Settings,
  hooks: ReportsAtScaleHooks = {},
): Promise<ReportsAtScaleResult> {
  const startedAt = new Date().toISOString();
  const machine = machineAtStart();
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

    const interruptions: Interruption[] = [];
    const phase = redoAfterOutages({ pool, es, redis }, interruptions);
    const ctx: RunContext = { s, pool, es, redis, phase, settle };

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
    const rebuilds = await rebuildPerLimit(ctx);
    mark('rebuildsDone');
    const alias = ordersAlias(ES_PREFIX);
    const index = rebuilds[rebuilds.length - 1]?.index ?? alias;
    // Generations an interrupted attempt left behind.
    await phase('drop stray bench indices', () => dropBenchIndices(es, index));
    const esIndex = await phase('index stats', () => indexFootprint(es, index));

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
    const consistency = await checkConsistency(ctx, alias);
    log(`consistency ${JSON.stringify(consistency)}`);

    // 4. The report, side by side.
    const { scenarios, coldMs } = await measureReportScenarios(ctx, { alias, index, view }, hooks);
    mark('finishedAt');

    const result: ReportsAtScaleResult = {
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
      ratios: ratiosOf(scenarios),
    };
    printAll(result);
    log(`wrote ${writeResults(result)}`);
    await logLeftBehind(es, pool);
    return result;
  } finally {
    await pool.end();
    await es.close();
    redis.disconnect();
  }
}
