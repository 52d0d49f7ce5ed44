import { currencyDigits } from '../domain/currency';
import { monthIn } from '../domain/report-months';
import type { ReportSlot } from '../projections/elasticsearch';
import {
  computeMonthlyReport,
  type MonthlyReportNumbers,
  ordersAlias,
  readRollup,
} from '../projections/elasticsearch';
import { readCachedReport, writeCachedReport } from '../projections/redis';
import { logger } from '../runtime/logger';
import type { ReadModelDeps } from './order-queries';

export interface MonthlyReport extends MonthlyReportNumbers {
  source: 'live' | 'rollup';
  generatedAt: string;
}

export interface MonthlyReportReply extends MonthlyReport {
  /** The currency's minor-unit digits (2 for EUR, 0 for JPY, 3 for BHD): clients need no table. */
  currencyDigits: number;
}

/**
 * A month's report: Redis first; else, for a closed month that was rolled up, the rollup;
 * else live from Elasticsearch. The answer is cached for 5 minutes under the month's
 * generation, so a projection that changes the month makes it unreadable at once.
 */
export async function monthlyReport(
  deps: ReadModelDeps,
  slot: ReportSlot,
): Promise<MonthlyReportReply> {
  const report = await cachedOrComputed(deps, slot);
  return { ...report, currencyDigits: currencyDigits(report.currency) };
}

async function cachedOrComputed(deps: ReadModelDeps, slot: ReportSlot): Promise<MonthlyReport> {
  let generation: number | null = null;
  try {
    const cached = await readCachedReport<MonthlyReport>(deps.redis, deps.redisPrefix, slot);
    if (cached.report) return cached.report;
    generation = cached.generation;
  } catch (err) {
    logger.debug({ err }, 'redis unavailable, computing the report without the cache');
  }
  const report = await uncachedReport(deps, slot);
  if (generation !== null) {
    await writeCachedReport(deps.redis, deps.redisPrefix, slot, generation, report).catch(
      (err: unknown) => logger.debug({ err }, 'could not cache the report'),
    );
  }
  return report;
}

async function uncachedReport(deps: ReadModelDeps, slot: ReportSlot): Promise<MonthlyReport> {
  // A closed month without a rollup of this view (rolled up before views existed) is live,
  // and so is one whose rollups miss a change projected since (its re-rollup is pending).
  const closed = slot.month < monthIn(new Date(), deps.reportTimeZone);
  if (closed) {
    const rollup = await readRollup(deps.es, deps.esPrefix, slot, { caughtUp: true });
    if (rollup) return { ...rollup, source: 'rollup' };
  }
  const numbers = await computeMonthlyReport(deps.es, ordersAlias(deps.esPrefix), slot);
  return { ...numbers, source: 'live', generatedAt: new Date().toISOString() };
}
