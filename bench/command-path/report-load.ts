// Report clients that run next to the command load, to see whether reports slow commands:
// `reports.monthly` through the real tRPC API (the typed client, reader token), or the
// traditional SQL JOIN over the normalized tables the reports-at-scale bench leaves behind in
// orders_bench on the same PostgreSQL server. Each client is a closed loop, like a command lane.
import { TRPCClientError } from '@trpc/client';
import pg from 'pg';
import { type AppRouter, createOrdersClient } from '../../api/client';
import {
  BENCH_DATABASE as REPORTS_DATABASE,
  BENCH_DATABASE_URL as REPORTS_DATABASE_URL,
} from '../load-orders';
import { joinReport, type Slot } from '../sql-baseline';
import { epochMs, runLoad, type Sample } from './load';
import { type Summary, summarize } from './stats';

export interface ReportLoadResult {
  kind: 'api' | 'sql';
  /** What the clients ran, against what. */
  description: string;
  clients: number;
  seconds: number;
  /** Report queries answered within the load window. */
  queries: number;
  perSecond: number;
  latencyMs: Summary;
  errors: Record<string, number>;
  /** The slots the clients took in turn. */
  slots: string[];
  /**
   * API only: the answer's `source` (live / rollup), and whether it was served from the Redis
   * cache (its `generatedAt` is older than the request) or computed during the request.
   */
  sources?: Record<string, number>;
  cache?: { cached: number; computed: number };
}

export interface ReportLoad {
  kind: 'api' | 'sql';
  /** One query per client, not counted: connections open, statements prepared. */
  warm(): Promise<void>;
  run(seconds: number): Promise<ReportLoadResult>;
  close(): Promise<void>;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

function finish(
  kind: 'api' | 'sql',
  description: string,
  clients: number,
  slots: string[],
  load: Awaited<ReturnType<typeof runLoad>>,
): ReportLoadResult {
  const ok = load.samples.filter((s) => s.ok);
  return {
    kind,
    description,
    clients,
    seconds: load.seconds,
    queries: ok.length,
    perSecond: round1(ok.length / load.seconds),
    latencyMs: summarize(ok.map((s) => s.latencyMs)),
    errors: load.errors,
    slots,
  };
}

const errorText = (err: unknown): string => {
  if (err instanceof TRPCClientError) {
    const data = (err as TRPCClientError<AppRouter>).data as { code?: string } | undefined;
    return `${data?.code ?? 'tRPC'} ${err.message}`.slice(0, 80);
  }
  return (err instanceof Error ? err.message : String(err)).slice(0, 80);
};

/**
 * `reports.monthly` for the current month (live: the command load completes orders in it, so
 * every completion invalidates its cached reports), each currency the command load uses, for
 * all regions and for the region that currency's orders come from.
 */
export function apiReportLoad(options: {
  apiUrl: string;
  token: string;
  clients: number;
  slots: { currency: string; region: string | null }[];
}): ReportLoad {
  const api = createOrdersClient({ url: `${options.apiUrl}/trpc`, token: options.token });
  const currentMonth = () => new Date().toISOString().slice(0, 7); // the bench reports in UTC
  let next = 0;
  const query = async () => {
    const slot = options.slots[next++ % options.slots.length] ?? { currency: 'EUR', region: null };
    return api.reports.monthly.query({
      month: currentMonth(),
      currency: slot.currency,
      ...(slot.region ? { region: slot.region } : {}),
    });
  };
  return {
    kind: 'api',
    async warm() {
      await Promise.all(Array.from({ length: options.clients }, () => query().catch(() => null)));
    },
    async run(seconds) {
      const answers = new WeakMap<Sample, { source: string; cached: boolean }>();
      const load = await runLoad(options.clients, seconds, async (record) => {
        const sentAt = epochMs();
        const t = performance.now();
        let sample: Sample;
        try {
          const report = await query();
          sample = { kind: 'report', ok: true, sentAt, latencyMs: performance.now() - t };
          // Same clock: an answer generated before the request left came from the cache.
          answers.set(sample, {
            source: report.source,
            cached: Date.parse(report.generatedAt) < sentAt,
          });
        } catch (err) {
          sample = { kind: 'report', ok: false, sentAt, latencyMs: performance.now() - t };
          sample.error = errorText(err);
        }
        record(sample);
      });
      // Only what runLoad kept: answered within the window.
      const sources: Record<string, number> = {};
      const cache = { cached: 0, computed: 0 };
      for (const s of load.samples) {
        const answer = answers.get(s);
        if (!answer) continue;
        sources[answer.source] = (sources[answer.source] ?? 0) + 1;
        if (answer.cached) cache.cached++;
        else cache.computed++;
      }
      const slots = options.slots.map(
        (s) => `${currentMonth()} ${s.currency} ${s.region ?? 'all'}`,
      );
      const result = finish(
        'api',
        `reports.monthly through the tRPC API (typed client, reader token), ${slots.length} slots of the current month`,
        options.clients,
        slots,
        load,
      );
      result.sources = sources;
      result.cache = cache;
      return result;
    },
    close: async () => undefined,
  };
}

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

/**
 * The JOIN ... GROUP BY product_id of bench/sql-baseline.ts on orders_bench, one connection per
 * client, over every (month, currency) slot with completed orders, in turn (as the reports
 * bench's scenario (c) does).
 */
export async function sqlReportLoad(clients: number): Promise<ReportLoad> {
  const pool = new pg.Pool({ connectionString: REPORTS_DATABASE_URL, max: clients });
  pool.on('error', () => undefined);
  const { rows } = await pool.query<{ month: string; currency: string }>(
    `select to_char(completed_at at time zone 'UTC', 'YYYY-MM') as month, currency
     from orders where status = 'completed'
     group by 1, 2 order by 1, 2`,
  );
  const slots: Slot[] = rows.map((r) => ({ month: r.month, currency: r.currency }));
  if (slots.length === 0) throw new Error(`${REPORTS_DATABASE}: no completed orders`);
  let next = 0;
  const query = () => joinReport(pool, slots[next++ % slots.length] as Slot);
  return {
    kind: 'sql',
    async warm() {
      await Promise.all(Array.from({ length: clients }, () => query()));
    },
    async run(seconds) {
      const load = await runLoad(clients, seconds, async (record) => {
        const sentAt = epochMs();
        const t = performance.now();
        let sample: Sample;
        try {
          await query();
          sample = { kind: 'report', ok: true, sentAt, latencyMs: performance.now() - t };
        } catch (err) {
          sample = { kind: 'report', ok: false, sentAt, latencyMs: performance.now() - t };
          sample.error = errorText(err);
        }
        record(sample);
      });
      return finish(
        'sql',
        `SQL JOIN ... GROUP BY product_id on ${REPORTS_DATABASE} (bench/sql-baseline.ts joinReport), ${slots.length} month/currency slots in turn`,
        clients,
        slots.map((s) => `${s.month} ${s.currency}`),
        load,
      );
    },
    close: () => pool.end(),
  };
}
