import type { ReportSlot } from '../report-slot';
import type { RedisClient } from './client';
import { monthlyReportKey, reportGenerationKey } from './keys';

export const REPORT_TTL_SECONDS = 300;

/**
 * Cached reports carry the generation of their (month, currency) they were computed
 * under. Invalidation bumps the generation, so an entry computed before it is never
 * served again, and one a slow reader tries to store after it is not stored.
 */
interface CachedReport<T> {
  generation: number;
  report: T;
}

export async function readReportGeneration(
  redis: RedisClient,
  prefix: string,
  slot: ReportSlot,
): Promise<number> {
  return Number((await redis.get(reportGenerationKey(prefix, slot.month, slot.currency))) ?? 0);
}

/** The cached report if it is of the current generation; its generation either way. */
export async function readCachedReport<T>(
  redis: RedisClient,
  prefix: string,
  slot: ReportSlot,
): Promise<{ report: T | null; generation: number }> {
  const [gen, cached] = await redis.mget(
    reportGenerationKey(prefix, slot.month, slot.currency),
    monthlyReportKey(prefix, slot.month, slot.currency, slot.region, slot.view),
  );
  // A reader's generation must be a key that an invalidation can move on: the rebuild's
  // cache clear bumps only the generations that exist, so a reader that took an absent
  // one could store its report after the clear, under a generation still valid.
  if (gen === null)
    await redis.set(reportGenerationKey(prefix, slot.month, slot.currency), '0', 'NX');
  const generation = Number(gen ?? 0);
  if (!cached) return { report: null, generation };
  const entry = JSON.parse(cached) as CachedReport<T>;
  return { report: entry.generation === generation ? entry.report : null, generation };
}

// Stores the entry only if its generation is still the current one, in one step: a slow
// reader's outdated report is dropped instead of replacing a newer reader's entry.
const WRITE_IF_CURRENT = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
return 1
`;

/** Caches a report computed under `generation`; 'outdated' (not stored) if it moved on. */
export async function writeCachedReport<T>(
  redis: RedisClient,
  prefix: string,
  slot: ReportSlot,
  generation: number,
  report: T,
): Promise<'written' | 'outdated'> {
  const entry: CachedReport<T> = { generation, report };
  const written = await redis.eval(
    WRITE_IF_CURRENT,
    2,
    reportGenerationKey(prefix, slot.month, slot.currency),
    monthlyReportKey(prefix, slot.month, slot.currency, slot.region, slot.view),
    String(generation),
    JSON.stringify(entry),
    String(REPORT_TTL_SECONDS),
  );
  return written === 1 ? 'written' : 'outdated';
}

/** Marks every cached report of (month, currency) as outdated. */
export async function invalidateReports(
  redis: RedisClient,
  prefix: string,
  month: string,
  currency: string,
): Promise<void> {
  await redis.incr(reportGenerationKey(prefix, month, currency));
}
