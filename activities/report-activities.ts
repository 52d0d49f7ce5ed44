import type { Client as EsClient } from '@elastic/elasticsearch';
import type pg from 'pg';
import {
  computeMonthlyReport,
  deleteMatching,
  dropRollup,
  InexactSumError,
  type MonthlyReportNumbers,
  markMonthRolledUp,
  markRollupCaughtUp,
  monthsNeverRolledUp,
  ordersAlias,
  REPORT_VIEWS,
  type ReportSlot,
  type ReportView,
  readRollup,
  reportsIndexName,
  rolledUpSlots,
  rollupBasis,
  slotsWithOrders,
  writeRollup,
} from '../projections/elasticsearch';
import { type ReconcileResult, reconcileMonth } from '../projections/reconcile';
import type { RedisClient } from '../projections/redis';
import { invalidateReports, readReportGeneration, writeCachedReport } from '../projections/redis';
import { earlierProgress, heartbeating, recordProgress } from './keep-alive';

export interface ReportActivityDeps {
  pool: pg.Pool;
  es: EsClient;
  redis: RedisClient;
  esPrefix: string;
  redisPrefix: string;
  reportTimeZone: string;
}

/** How far a rollup got: the slots written, and the time they were generated at. */
export interface RollupProgress {
  generatedAt: string;
  done: string[];
  /** The month's change count the first attempt started from (absent: older attempts). */
  asOf?: number;
  /** The slots refused so far (absent: none). */
  refused?: RefusedSlot[];
}

/** A report slot a rollup refused: retrying cannot help, so it is left out, and said so. */
export interface RefusedSlot {
  /** `<currency>/<region or *>`, as reconcile names slots. */
  slot: string;
  view: ReportView;
  reason: string;
}

export interface RollupSummary {
  month: string;
  slots: number;
  products: number;
  /** Slots left without a rollup because their sums pass 2^53 minor units (absent: none). */
  refused?: RefusedSlot[];
}

/** Closed months never rolled up: the first `limit` of them, and how many more there are. */
export interface MonthsToCatchUp {
  months: string[];
  more: number;
}

/** The slot's numbers, or the InexactSumError that refuses them (any other failure throws). */
async function exactReport(
  es: EsClient,
  alias: string,
  slot: ReportSlot,
): Promise<MonthlyReportNumbers | InexactSumError> {
  try {
    return await computeMonthlyReport(es, alias, slot);
  } catch (err) {
    if (err instanceof InexactSumError) return err;
    throw err;
  }
}

/**
 * Rollups, retention and reconciliation, as activities. Each is idempotent, and heartbeats
 * so the work of a crashed worker is retried elsewhere within seconds.
 */
export function createReportActivities(deps: ReportActivityDeps) {
  return heartbeating({
    /**
     * Rolls up every slot of the month, in both views, from the live aggregation
     * (re-running replaces, never adds), then refreshes the Redis cache with the
     * rolled-up answers. `products` counts the restated view's lines.
     */
    async rollupMonth({ month }: { month: string }): Promise<RollupSummary> {
      const alias = ordersAlias(deps.esPrefix);
      // A retry after a worker died resumes: the slots the last attempt wrote stay written.
      const earlier = earlierProgress<RollupProgress>();
      const generatedAt = earlier?.generatedAt ?? new Date().toISOString();
      const done = new Set(earlier?.done ?? []);
      const refused = [...(earlier?.refused ?? [])];
      // Before reading anything: a change projected from here on re-rolls the month. The
      // slots a resumed attempt kept were computed from the first attempt's count (none
      // recorded: an older attempt, so claim nothing).
      const counted = await markMonthRolledUp(deps.es, deps.esPrefix, month, generatedAt);
      const asOf = earlier ? (earlier.asOf ?? 0) : counted;
      const slots = new Map<string, { month: string; currency: string; region: string | null }>();
      for (const s of [
        ...(await slotsWithOrders(deps.es, alias, month)),
        ...(await rolledUpSlots(deps.es, deps.esPrefix, month)),
      ]) {
        slots.set(`${s.currency}/${s.region ?? '*'}`, s);
      }
      let products = 0;
      for (const [key, slot] of slots) {
        for (const view of REPORT_VIEWS) {
          // Restated keeps the progress key it had before views, so an older attempt resumes.
          const doneKey = view === 'restated' ? key : `${view}:${key}`;
          if (done.has(doneKey)) continue;
          const viewSlot = { ...slot, view };
          const basis = await rollupBasis(deps.es, deps.esPrefix, viewSlot);
          const numbers = await exactReport(deps.es, alias, viewSlot);
          if (numbers instanceof InexactSumError) {
            // No retry makes it exact, and retrying forever would hold up every later
            // month: the slot is refused (no rollup, older numbers dropped; its reports
            // answer 422 live, reconcile computes it exactly) and the others roll up.
            await dropRollup(deps.es, deps.esPrefix, viewSlot);
            refused.push({ slot: key, view, reason: numbers.message });
          } else {
            await writeRollup(deps.es, deps.esPrefix, numbers, basis, generatedAt);
            if (view === 'restated') products += numbers.products.length;
          }
          done.add(doneKey);
          recordProgress({
            generatedAt,
            done: [...done],
            asOf,
            ...(refused.length > 0 ? { refused } : {}),
          } satisfies RollupProgress);
        }
      }
      await markRollupCaughtUp(deps.es, deps.esPrefix, month, asOf);
      for (const currency of new Set([...slots.values()].map((s) => s.currency))) {
        await invalidateReports(deps.redis, deps.redisPrefix, month, currency);
      }
      for (const slot of slots.values()) {
        for (const view of REPORT_VIEWS) {
          const viewSlot = { ...slot, view };
          // The generation first: a change counted after it also moves it, so a rollup that
          // misses the change is never stored as current.
          const generation = await readReportGeneration(deps.redis, deps.redisPrefix, viewSlot);
          const rollup = await readRollup(deps.es, deps.esPrefix, viewSlot, { caughtUp: true });
          if (!rollup) continue;
          await writeCachedReport(deps.redis, deps.redisPrefix, viewSlot, generation, {
            ...rollup,
            source: 'rollup',
          });
        }
      }
      return { month, slots: slots.size, products, ...(refused.length > 0 ? { refused } : {}) };
    },

    /**
     * The months from `from` to `to` with completions and no rollup, oldest first, at most
     * `limit` of them (a caller rolls those up, then asks again).
     */
    async monthsToCatchUp({
      from,
      to,
      limit,
    }: {
      from: string;
      to: string;
      limit: number;
    }): Promise<MonthsToCatchUp> {
      const months = await monthsNeverRolledUp(deps.es, deps.esPrefix, ordersAlias(deps.esPrefix), {
        from,
        to,
      });
      return { months: months.slice(0, limit), more: Math.max(0, months.length - limit) };
    },

    /** Deletes read-model data older than `cutoffMonth` (YYYY-MM); never the event store. */
    async applyRetention({
      cutoffMonth,
    }: {
      cutoffMonth: string;
    }): Promise<{ orders: number; reportDocs: number }> {
      // The cutoff month starts at midnight on the 1st in the report time zone, as report
      // months do: Elasticsearch reads the zone-less date in `time_zone`.
      const cutoff = `${cutoffMonth}-01T00:00:00`;
      const orders = await deleteMatching(deps.es, ordersAlias(deps.esPrefix), {
        bool: {
          must_not: ['placedAt', 'completedAt', 'cancelledAt', 'refundedAt'].map((field) => ({
            range: { [field]: { gte: cutoff, time_zone: deps.reportTimeZone } },
          })),
        },
      });
      const reportDocs = await deleteMatching(deps.es, reportsIndexName(deps.esPrefix), {
        range: { period: { lt: cutoffMonth } },
      });
      return { orders, reportDocs };
    },

    async reconcile({ month }: { month: string }): Promise<ReconcileResult> {
      return reconcileMonth({ ...deps, timeZone: deps.reportTimeZone }, month);
    },
  });
}

export type ReportActivities = ReturnType<typeof createReportActivities>;
