import { logger } from '../config/logger';
import { ordersAlias } from '../projections/elasticsearch/names';
import {
  computeMonthlyReport,
  type MonthlyReportNumbers,
} from '../projections/elasticsearch/reports';
import {
  type ReportSlot,
  readCachedReport,
  writeCachedReport,
} from '../projections/redis/report-cache';
import type { ReadModelDeps } from './order-queries';

export interface MonthlyReport extends MonthlyReportNumbers {
  source: 'live' | 'rollup';
  generatedAt: string;
}

/** Cache-aside: Redis first, else computed by Elasticsearch and cached for 5 minutes. */
export async function monthlyReport(deps: ReadModelDeps, slot: ReportSlot): Promise<MonthlyReport> {
  let generation: number | null = null;
  try {
    const cached = await readCachedReport<MonthlyReport>(deps.redis, deps.redisPrefix, slot);
    if (cached.report) return cached.report;
    generation = cached.generation;
  } catch (err) {
    logger.debug({ err }, 'redis unavailable, computing the report without the cache');
  }
  const numbers = await computeMonthlyReport(deps.es, ordersAlias(deps.esPrefix), slot);
  const report: MonthlyReport = {
    ...numbers,
    source: 'live',
    generatedAt: new Date().toISOString(),
  };
  if (generation !== null) {
    await writeCachedReport(deps.redis, deps.redisPrefix, slot, generation, report).catch(
      (err: unknown) => logger.debug({ err }, 'could not cache the report'),
    );
  }
  return report;
}
