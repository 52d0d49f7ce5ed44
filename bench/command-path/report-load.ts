// Report load that runs next to the command load, to see whether reports slow commands. Both
// kinds ask the same question of the same data: the monthly report of every (month, currency)
// slot of the data set bench/reports-at-scale.ts leaves behind (orders_bench and its read
// model: Elasticsearch prefix `bench-`, Redis db 2 prefix `bench:`), at the same fixed rate.
// Only how the report is answered differs:
// - api: `reports.monthly` through the real tRPC API (typed client, reader token), served by a
//   second API server in the bench process whose read side is that data set's: a closed
//   month comes from the Redis cache, else from its rollup (else live from Elasticsearch);
// - sql: the traditional JOIN ... GROUP BY product_id over the normalized tables in
//   orders_bench, on the same PostgreSQL server as the event store.
// The data set and the second API server: report-data-set.ts. The load is open-loop: queries start on a fixed schedule whatever the answers take, with at
// most `clients` in flight; a tick that finds every client busy is not sent, and is counted
// as `behind` (a closed loop would instead slow down to whatever the machine can answer).
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import pg from 'pg';
import type { AppRouter } from '../../api/client';
import {
  BENCH_DATABASE as REPORTS_DATABASE,
  BENCH_DATABASE_URL as REPORTS_DATABASE_URL,
} from '../load-orders';
import { joinReport } from '../sql-baseline';
import { epochMs, type Sample } from './load';
import { type Summary, summarize } from './stats';

/** A monthly report: a month, a currency, every region (null) or one. */
export interface ReportSlot {
  month: string;
  currency: string;
  region: string | null;
}

export interface ReportLoadResult {
  kind: 'api' | 'sql';
  /** What the load ran, against what. */
  description: string;
  /** Queries per second the schedule asked for, across the clients. */
  targetPerSecond: number;
  /** Most queries in flight at once (the clients). */
  clients: number;
  seconds: number;
  /** Ticks of the schedule within the window. */
  scheduled: number;
  /** Ticks that found every client busy: not sent (a fixed schedule never queues). */
  behind: number;
  /** Queries sent (scheduled - behind). */
  issued: number;
  /** Answered (successfully) within the window. */
  queries: number;
  /** `queries` / seconds: the rate achieved. */
  perSecond: number;
  /** Every successful answer to a query sent in the window, including late finishers. */
  latencyMs: Summary;
  /** How late the ticks fired against the schedule (this process's timers and event loop). */
  scheduleLagMs: Summary;
  /** Most queries seen in flight at once. */
  peakInFlight: number;
  /** Sent in the window and still unanswered when the bench stopped waiting for them. */
  unanswered: number;
  errors: Record<string, number>;
  /** The slots the load took in turn. */
  slots: string[];
  /**
   * API only: the answer's `source` (live / rollup), and whether it was served from the Redis
   * cache or computed during the request (a rollup read or a live aggregation).
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

/** How long the load waits, after its window, for the answers still in flight. */
const DRAIN_MS = 30_000;

const round1 = (n: number) => Math.round(n * 10) / 10;

export const errorText = (err: unknown): string => {
  if (err instanceof TRPCClientError) {
    const data = (err as TRPCClientError<AppRouter>).data as { code?: string } | undefined;
    return `${data?.code ?? 'tRPC'} ${err.message}`.slice(0, 80);
  }
  return (err instanceof Error ? err.message : String(err)).slice(0, 80);
};

const slotText = (s: ReportSlot) => `${s.month} ${s.currency} ${s.region ?? 'all'}`;

// ---------------------------------------------------------------------------------------
// The fixed-rate schedule

interface OpenLoopResult {
  seconds: number;
  end: number;
  scheduled: number;
  behind: number;
  issued: number;
  peakInFlight: number;
  unanswered: number;
  /** Every answer to a query sent in the window (ok or not). */
  samples: Sample[];
  scheduleLagMs: number[];
}

/**
 * Starts `query` every 1/rate s for `seconds` (ticks at fixed times from the start, so a late
 * tick does not shift the ones after it), unless `maxInFlight` queries are running: that tick
 * is dropped and counted as behind. `query` must not throw: it reports failures as samples.
 */
async function openLoop(
  rate: number,
  maxInFlight: number,
  seconds: number,
  query: () => Promise<Sample>,
): Promise<OpenLoopResult> {
  const interval = 1000 / rate;
  const begin = epochMs();
  const end = begin + seconds * 1000;
  const samples: Sample[] = [];
  const lags: number[] = [];
  const pending = new Set<Promise<void>>();
  let scheduled = 0;
  let behind = 0;
  let peak = 0;
  for (let tick = 0; ; tick++) {
    const due = begin + tick * interval;
    if (due >= end) break;
    const wait = due - epochMs();
    if (wait > 0) await sleep(wait);
    scheduled++;
    lags.push(Math.max(0, epochMs() - due));
    if (pending.size >= maxInFlight) {
      behind++;
      continue;
    }
    const p: Promise<void> = query().then((s) => {
      samples.push(s);
      pending.delete(p);
    });
    pending.add(p);
    peak = Math.max(peak, pending.size);
  }
  const issued = scheduled - behind;
  if (pending.size > 0) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(pending),
      new Promise((resolve) => {
        timer = setTimeout(resolve, DRAIN_MS);
      }),
    ]);
    clearTimeout(timer);
  }
  return {
    seconds,
    end,
    scheduled,
    behind,
    issued,
    peakInFlight: peak,
    unanswered: pending.size,
    samples: [...samples],
    scheduleLagMs: lags,
  };
}

function finish(
  kind: 'api' | 'sql',
  description: string,
  options: { rate: number; clients: number; slots: ReportSlot[] },
  load: OpenLoopResult,
): ReportLoadResult {
  const ok = load.samples.filter((s) => s.ok);
  const inWindow = ok.filter((s) => s.sentAt + s.latencyMs <= load.end).length;
  const errors: Record<string, number> = {};
  for (const s of load.samples) {
    if (s.ok) continue;
    const key = `${s.kind}: ${s.error ?? 'failed'}`;
    errors[key] = (errors[key] ?? 0) + 1;
  }
  if (load.unanswered > 0)
    errors[`unanswered ${DRAIN_MS / 1000} s after the window`] = load.unanswered;
  return {
    kind,
    description,
    targetPerSecond: options.rate,
    clients: options.clients,
    seconds: load.seconds,
    scheduled: load.scheduled,
    behind: load.behind,
    issued: load.issued,
    queries: inWindow,
    perSecond: round1(inWindow / load.seconds),
    latencyMs: summarize(ok.map((s) => s.latencyMs)),
    scheduleLagMs: summarize(load.scheduleLagMs),
    peakInFlight: load.peakInFlight,
    unanswered: load.unanswered,
    errors,
    slots: options.slots.map(slotText),
  };
}

/** Times one query; never throws. */
async function sampled(run: () => Promise<void>): Promise<Sample> {
  const sentAt = epochMs();
  const t = performance.now();
  try {
    await run();
    return { kind: 'report', ok: true, sentAt, latencyMs: performance.now() - t };
  } catch (err) {
    const latencyMs = performance.now() - t;
    return { kind: 'report', ok: false, sentAt, latencyMs, error: errorText(err) };
  }
}

// ---------------------------------------------------------------------------------------
// The loads

/**
 * `reports.monthly` through the tRPC API, one slot after the other. With `computed` (the
 * report API server's), an answer is cached when answering it did not touch Elasticsearch;
 * without (the command bench's own API, current month), when its `generatedAt` is older than
 * the request (a live answer is generated during the request).
 */
export function apiReportLoad(options: {
  apiUrl: string;
  token: string;
  clients: number;
  rate: number;
  slots: ReportSlot[];
  /** What the API answers from, for the description. */
  answersFrom: string;
  computed?: (correlationId: string) => boolean | undefined;
}): ReportLoad {
  const api = createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${options.apiUrl}/trpc`,
        headers: ({ op }) => ({
          authorization: `Bearer ${options.token}`,
          ...(typeof op.context.correlationId === 'string'
            ? { 'x-correlation-id': op.context.correlationId }
            : {}),
        }),
      }),
    ],
  });
  const answers = new WeakMap<Sample, { source: string; cached: boolean }>();
  let next = 0;
  const query = async (): Promise<Sample> => {
    const slot = options.slots[next++ % options.slots.length] as ReportSlot;
    const correlationId = randomUUID();
    let answer: { source: string; generatedAt: string } | undefined;
    const sample = await sampled(async () => {
      answer = await api.reports.monthly.query(
        {
          month: slot.month,
          currency: slot.currency,
          ...(slot.region ? { region: slot.region } : {}),
        },
        { context: { correlationId } },
      );
    });
    const computed = options.computed?.(correlationId);
    if (answer) {
      answers.set(sample, {
        source: answer.source,
        // Without the server's record (the command bench's own API): same clock, an answer
        // generated before the request left came from the cache.
        cached: computed !== undefined ? !computed : Date.parse(answer.generatedAt) < sample.sentAt,
      });
    }
    return sample;
  };
  return {
    kind: 'api',
    async warm() {
      await Promise.all(Array.from({ length: options.clients }, () => query()));
    },
    async run(seconds) {
      const load = await openLoop(options.rate, options.clients, seconds, query);
      const sources: Record<string, number> = {};
      const cache = { cached: 0, computed: 0 };
      for (const s of load.samples) {
        const answer = answers.get(s);
        if (!answer) continue;
        sources[answer.source] = (sources[answer.source] ?? 0) + 1;
        if (answer.cached) cache.cached++;
        else cache.computed++;
      }
      const result = finish(
        'api',
        `reports.monthly through the tRPC API (typed client, reader token), ${options.answersFrom}; ${options.slots.length} slots in turn`,
        options,
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
 * The JOIN ... GROUP BY product_id of bench/sql-baseline.ts on orders_bench, one connection per
 * client, over the slots in turn (as the reports bench's scenario (c) does).
 */
export function sqlReportLoad(options: {
  clients: number;
  rate: number;
  slots: ReportSlot[];
}): ReportLoad {
  const pool = new pg.Pool({ connectionString: REPORTS_DATABASE_URL, max: options.clients });
  pool.on('error', () => undefined);
  let next = 0;
  const query = () =>
    sampled(async () => {
      await joinReport(pool, options.slots[next++ % options.slots.length] as ReportSlot);
    });
  return {
    kind: 'sql',
    async warm() {
      await Promise.all(Array.from({ length: options.clients }, () => query()));
    },
    async run(seconds) {
      const load = await openLoop(options.rate, options.clients, seconds, query);
      return finish(
        'sql',
        `SQL JOIN ... GROUP BY product_id on ${REPORTS_DATABASE} (bench/sql-baseline.ts joinReport); ${options.slots.length} slots in turn`,
        options,
        load,
      );
    },
    close: () => pool.end(),
  };
}
