// The reports data set the report loads ask about: what bench/reports-at-scale.ts leaves
// behind (orders_bench's normalized tables for the SQL JOIN; the `bench-` read model, Elastic-
// search prefix `bench-` and Redis db 2, for the API), the (month, currency) slots both
// loads take, and the second API server that answers reports from that read model.
import { AsyncLocalStorage } from 'node:async_hooks';
import http from 'node:http';
import { Client as EsClient } from '@elastic/elasticsearch';
import type { Client as TemporalClient } from '@temporalio/client';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { TokenTable } from '../../api/auth';
import { createApiServer } from '../../api/server';
import { ordersAlias, reportsIndexName } from '../../projections/elasticsearch';
import {
  BENCH_DATABASE as REPORTS_DATABASE,
  BENCH_DATABASE_URL as REPORTS_DATABASE_URL,
} from '../load-orders';
import {
  REPORT_TIME_ZONE,
  ES_PREFIX as REPORTS_ES_PREFIX,
  ES_URL as REPORTS_ES_URL,
  REDIS_PREFIX as REPORTS_REDIS_PREFIX,
  REDIS_URL as REPORTS_REDIS_URL,
} from '../reports-at-scale/settings';
import { onCleanup } from './cleanups';
import { errorText, type ReportSlot } from './report-load';
import type { Settings } from './settings';

/**
 * Whether orders_bench has the normalized tables (bench/reports-at-scale.ts loads them and
 * leaves them there): undefined when it does, else why not.
 */
export async function sqlReportTablesMissing(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: REPORTS_DATABASE_URL });
  try {
    await client.connect();
  } catch (err) {
    return `cannot connect to database ${REPORTS_DATABASE} (${errorText(err)})`;
  }
  try {
    const { rows } = await client.query<{ orders: string | null; items: string | null }>(
      "select to_regclass('public.orders') as orders, to_regclass('public.order_items') as items",
    );
    if (!rows[0]?.orders || !rows[0]?.items)
      return `${REPORTS_DATABASE} has no orders/order_items tables`;
    const { rows: counted } = await client.query<{ n: string }>(
      "select count(*) as n from orders where status = 'completed'",
    );
    if (Number(counted[0]?.n ?? 0) === 0)
      return `${REPORTS_DATABASE}.orders has no completed orders`;
    return undefined;
  } finally {
    await client.end();
  }
}

/** Every (month, currency) with completed orders in orders_bench's tables, all regions. */
export async function sqlReportSlots(): Promise<ReportSlot[]> {
  const client = new pg.Client({ connectionString: REPORTS_DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ month: string; currency: string }>(
      `select to_char(completed_at at time zone '${REPORT_TIME_ZONE}', 'YYYY-MM') as month, currency
       from orders where status = 'completed'
       group by 1, 2 order by 1, 2`,
    );
    return rows.map((r) => ({ month: r.month, currency: r.currency, region: null }));
  } finally {
    await client.end();
  }
}

/** The read side of the reports data set: its own clients, apart from the command bench's. */
export interface ReportReadSide {
  es: EsClient;
  redis: Redis;
  close(): Promise<void>;
}

/** A Redis client that fails fast instead of queueing while Redis is away (as the API's). */
export function failFastRedis(url: string): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
  });
  redis.on('error', () => undefined);
  redis.connect().catch(() => undefined);
  return redis;
}

export function openReportReadSide(): ReportReadSide {
  const es = new EsClient({ node: REPORTS_ES_URL, requestTimeout: 30_000 });
  const redis = failFastRedis(REPORTS_REDIS_URL);
  return {
    es,
    redis,
    close: async () => {
      await es.close().catch(() => undefined);
      redis.disconnect();
    },
  };
}

/** What the API report load reads: the `bench-` read model reports-at-scale leaves. */
export interface ReportReadModel {
  alias: string;
  index: string;
  completedOrders: number;
  /** Rollups of every region's slots (manifests), in `bench-order_reports`. */
  rollups: number;
  /** Every (month, currency) with completed orders, all regions. */
  slots: ReportSlot[];
}

/** The `bench-` read model, or why it cannot serve the reports. */
export async function reportReadModel(es: EsClient): Promise<ReportReadModel | string> {
  const alias = ordersAlias(REPORTS_ES_PREFIX);
  try {
    const aliases = await es.indices.getAlias({ name: alias }, { ignore: [404] });
    const index = Object.keys(aliases).find((k) => k !== 'error' && k !== 'status');
    if (!index) return `no Elasticsearch alias ${alias} (the ${REPORTS_ES_PREFIX} read model)`;
    const completed = { term: { status: 'completed' } };
    const { count } = await es.count({ index: alias, query: completed });
    if (count === 0) return `${alias} has no completed orders`;
    const rollups = await es.count(
      {
        index: reportsIndexName(REPORTS_ES_PREFIX),
        query: { bool: { filter: [{ term: { kind: 'manifest' } }, { term: { region: '*' } }] } },
      },
      { ignore: [404] },
    );
    const res = await es.search({
      index: alias,
      size: 0,
      query: completed,
      aggs: {
        months: {
          terms: { field: 'reportMonth', size: 1000, order: { _key: 'asc' } },
          aggs: { currencies: { terms: { field: 'currency', size: 100, order: { _key: 'asc' } } } },
        },
      },
    });
    type Buckets = { buckets: { key: string; currencies: { buckets: { key: string }[] } }[] };
    const months = (res.aggregations?.months as unknown as Buckets | undefined)?.buckets ?? [];
    return {
      alias,
      index,
      completedOrders: count,
      rollups: rollups.count ?? 0,
      slots: months.flatMap((m) =>
        m.currencies.buckets.map((c) => ({ month: m.key, currency: c.key, region: null })),
      ),
    };
  } catch (err) {
    return `cannot read the ${REPORTS_ES_PREFIX} read model (${errorText(err)})`;
  }
}

// ---------------------------------------------------------------------------------------
// The API server answering from the reports data set

/** The API request being served: whether answering it touched Elasticsearch. */
const serving = new AsyncLocalStorage<{ computed: boolean }>();

/**
 * The Elasticsearch client, marking the request it serves as computed on any call: a rollup
 * read or a live aggregation (a Redis hit never calls it).
 */
function markingEs(es: EsClient): EsClient {
  return new Proxy(es, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const request = serving.getStore();
        if (request) request.computed = true;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

export interface ReportApi {
  server: http.Server;
  /** Whether the request with this x-correlation-id was computed (not a cache hit); once. */
  computed(correlationId: string): boolean | undefined;
}

/**
 * The product's API server (createApiServer) whose read-side deps are the reports data set's:
 * Elasticsearch prefix `bench-`, Redis db 2 prefix `bench:`, reports in UTC. Its command side
 * (Temporal client) and health pool are the command bench's; only reports.monthly is asked.
 */
export async function reportApiServer(options: {
  readSide: ReportReadSide;
  temporal: TemporalClient;
  pool: pg.Pool;
  tokens: TokenTable;
}): Promise<ReportApi> {
  const inner = await createApiServer({
    deps: {
      es: markingEs(options.readSide.es),
      redis: options.readSide.redis,
      pool: options.pool,
      temporal: options.temporal,
      esPrefix: REPORTS_ES_PREFIX,
      redisPrefix: REPORTS_REDIS_PREFIX,
      reportTimeZone: REPORT_TIME_ZONE,
    },
    tokens: options.tokens,
    maxBodyBytes: 256 * 1024,
    maxBatchSize: 20,
    // The load is one token's: the per-token cap must not shape what is measured.
    maxInflightPerToken: 100_000,
  });
  const handlers = inner.server.listeners('request') as http.RequestListener[];
  const requests = new Map<string, { computed: boolean }>();
  const server = http.createServer((req, res) => {
    const request = { computed: false };
    const id = req.headers['x-correlation-id'];
    if (typeof id === 'string') requests.set(id, request);
    serving.run(request, () => {
      for (const h of handlers) h(req, res);
    });
  });
  return {
    server,
    computed(id) {
      const request = requests.get(id);
      requests.delete(id);
      return request?.computed;
    },
  };
}

// ---------------------------------------------------------------------------------------
// What a run finds of it

export interface ReportData {
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
export async function prepareReportData(settings: Settings): Promise<ReportData> {
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
    onCleanup(() => side.close());
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
