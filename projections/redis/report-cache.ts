import type { Redis } from 'ioredis';
import { monthlyReportKey, reportGenerationKey } from './keys';

export const REPORT_TTL_SECONDS = 300;

/**
 * Cached reports carry the generation of their (month, currency) they were computed
 * under. Invalidation bumps the generation, so an entry computed before it — even one
 * stored after it, by a slow reader — is never served again.
 */
interface CachedReport<T> {
  generation: number;
  report: T;
}

export interface ReportSlot {
  month: string;
  currency: string;
  region: string | null;
}

export async function readReportGeneration(
  redis: Redis,
  prefix: string,
  slot: ReportSlot,
): Promise<number> {
  return Number((await redis.get(reportGenerationKey(prefix, slot.month, slot.currency))) ?? 0);
}

/** The cached report if it is of the current generation; its generation either way. */
export async function readCachedReport<T>(
  redis: Redis,
  prefix: string,
  slot: ReportSlot,
): Promise<{ report: T | null; generation: number }> {
  const [gen, cached] = await redis.mget(
    reportGenerationKey(prefix, slot.month, slot.currency),
    monthlyReportKey(prefix, slot.month, slot.currency, slot.region),
  );
  const generation = Number(gen ?? 0);
  if (!cached) return { report: null, generation };
  const entry = JSON.parse(cached) as CachedReport<T>;
  return { report: entry.generation === generation ? entry.report : null, generation };
}

export async function writeCachedReport<T>(
  redis: Redis,
  prefix: string,
  slot: ReportSlot,
  generation: number,
  report: T,
): Promise<void> {
  const entry: CachedReport<T> = { generation, report };
  await redis.set(
    monthlyReportKey(prefix, slot.month, slot.currency, slot.region),
    JSON.stringify(entry),
    'EX',
    REPORT_TTL_SECONDS,
  );
}

/** Marks every cached report of (month, currency) as outdated. */
export async function invalidateReports(
  redis: Redis,
  prefix: string,
  month: string,
  currency: string,
): Promise<void> {
  await redis.incr(reportGenerationKey(prefix, month, currency));
}
