// Report loads run next to the command load: do reports slow commands? Both ask the same
// question of the same data — the monthly report of every (month, currency) of the data set
// bench/reports-at-scale.ts leaves — at the same fixed rate (open loop). Only how it is
// answered differs: `api`, reports.monthly through a second API server in this process whose
// read side is that data set's (Redis cache, else rollup, else live); `sql`, the JOIN …
// GROUP BY product_id over its normalized tables, on the event store's PostgreSQL server.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client as EsClient } from '@elastic/elasticsearch';
import type { Client as TemporalClient } from '@temporalio/client';
import { createTRPCClient, httpLink } from '@trpc/client';
import { Redis } from 'ioredis';
import pg from 'pg';
import { parseTokens } from '../../api/auth';
import type { AppRouter } from '../../api/client';
import { createApiServer } from '../../api/server';
import { ordersAlias } from '../../projections/elasticsearch';
import { BENCH_TOKEN } from '../harness/app-process';
import { onCleanup } from '../harness/cleanups';
import { databaseUrl, ES_URL, REPORTS_DATA, redisUrl } from '../harness/data-sets';
import { errorText, type OpenLoopResult, openLoop, timedCall } from '../harness/load';
import { tally } from '../harness/stats';
import { joinReport, type Slot } from '../reports-at-scale/sql-baseline';

export interface ReportLoad {
  /** One query per client first, not counted: connections open, statements prepared. */
  run(seconds: number): Promise<ReportLoadResult>;
}
export type ReportLoadResult = Omit<OpenLoopResult, 'samples'> & {
  kind: 'api' | 'sql';
  answered: number;
  perSecond: number;
  /** api: the answers' source (live / rollup), and cache hits against computed answers. */
  sources?: Record<string, number>;
  cache?: { cached: number; computed: number };
};

/** The data set's slots, or why a report load cannot run (reports-at-scale has not). */
export async function reportSlots(): Promise<{ slots: Slot[]; missing?: string }> {
  const client = new pg.Client({ connectionString: databaseUrl(REPORTS_DATA.database) });
  try {
    await client.connect();
    const { rows } = await client.query<{ month: string; currency: string }>(
      `select to_char(completed_at at time zone 'UTC', 'YYYY-MM') as month, currency from orders
       where status = 'completed' group by 1, 2 order by 1, 2`,
    );
    if (rows.length) return { slots: rows.map((r) => ({ ...r, region: null })) };
    return { slots: [], missing: `${REPORTS_DATA.database}.orders has no completed orders` };
  } catch (err) {
    return { slots: [], missing: `${REPORTS_DATA.database}: ${errorText(err)}` };
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function openLoad(
  kind: 'api' | 'sql',
  settings: { reportRate: number; reportClients: number },
  slots: Slot[],
  ask: (slot: Slot) => Promise<unknown>,
) {
  let next = 0;
  const query = () => timedCall('report', () => ask(slots[next++ % slots.length] as Slot));
  await Promise.all(Array.from({ length: settings.reportClients }, query));
  return async (seconds: number): Promise<ReportLoadResult> => {
    const { samples, ...rest } = await openLoop(
      settings.reportRate,
      settings.reportClients,
      seconds,
      query,
    );
    return { ...rest, kind, answered: samples.length, perSecond: samples.length / seconds };
  };
}

export async function sqlReportLoad(
  settings: { reportRate: number; reportClients: number },
  slots: Slot[],
): Promise<ReportLoad> {
  const pool = new pg.Pool({
    connectionString: databaseUrl(REPORTS_DATA.database),
    max: settings.reportClients,
  });
  pool.on('error', () => undefined);
  onCleanup(() => pool.end());
  return { run: await openLoad('sql', settings, slots, (slot) => joinReport(pool, slot)) };
}

/** The request being served: whether answering it touched Elasticsearch (not a cache hit). */
const serving = new AsyncLocalStorage<{ computed: boolean }>();

/**
 * The product's API server, in this process, whose read side is the reports data set's:
 * Elasticsearch prefix `bench-`, Redis db 2. Its Elasticsearch client marks the request it
 * serves as computed on any call (a rollup read or a live aggregation; a cache hit makes none).
 */
async function reportApi(temporal: TemporalClient, pool: pg.Pool) {
  const es = new EsClient({ node: ES_URL, requestTimeout: 30_000 });
  const redis = new Redis(redisUrl(REPORTS_DATA), { maxRetriesPerRequest: 1 });
  onCleanup(async () => {
    await es.close();
    redis.disconnect();
  });
  const marking = new Proxy(es, {
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
  const api = await createApiServer({
    deps: {
      es: marking,
      redis,
      pool,
      temporal,
      reportTimeZone: 'UTC',
      esPrefix: REPORTS_DATA.esPrefix,
      redisPrefix: REPORTS_DATA.redisPrefix,
    },
    tokens: parseTokens(`writer:${BENCH_TOKEN}`),
    maxBodyBytes: 256 * 1024,
    maxBatchSize: 20,
    maxInflightPerToken: 100_000,
  });
  const handlers = api.server.listeners('request') as http.RequestListener[];
  const requests = new Map<string, { computed: boolean }>();
  const server = http.createServer((req, res) => {
    const request = { computed: false };
    requests.set(String(req.headers['x-correlation-id']), request);
    serving.run(request, () => {
      for (const h of handlers) h(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => new Promise((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  const hasModel = await es.indices.existsAlias({ name: ordersAlias(REPORTS_DATA.esPrefix) });
  return { url: `http://127.0.0.1:${port}/trpc`, requests, hasModel };
}

/** reports.monthly through the typed tRPC client, answered by that second API server. */
export async function apiReportLoad(
  settings: { reportRate: number; reportClients: number },
  slots: Slot[],
  temporal: TemporalClient,
  pool: pg.Pool,
): Promise<ReportLoad | string> {
  const server = await reportApi(temporal, pool);
  if (!server.hasModel) return `no ${ordersAlias(REPORTS_DATA.esPrefix)}: run reports-at-scale`;
  const answers: { source: string; cached: boolean }[] = [];
  const trpc = createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: server.url,
        headers: ({ op }) => ({
          authorization: `Bearer ${BENCH_TOKEN}`,
          'x-correlation-id': String(op.context.correlationId),
        }),
      }),
    ],
  });
  const run = await openLoad('api', settings, slots, async ({ month, currency }) => {
    const correlationId = randomUUID();
    const answer = await trpc.reports.monthly.query(
      { month, currency },
      { context: { correlationId } },
    );
    const cached = !server.requests.get(correlationId)?.computed;
    server.requests.delete(correlationId);
    answers.push({ source: answer.source, cached });
  });
  return {
    async run(seconds) {
      answers.length = 0;
      const result = await run(seconds);
      const cached = answers.filter((a) => a.cached).length;
      const sources = tally(answers.map((a) => a.source));
      return { ...result, sources, cache: { cached, computed: answers.length - cached } };
    },
  };
}
