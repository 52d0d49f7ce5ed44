// The Redis read model's front door: the order summaries and the report cache.

// Declared once for both read models (projections/report-slot.ts).
export type { ReportSlot } from '../report-slot';
export { clearOrderSummaries, clearReportCache } from './clear';
export { connectRedis, primariesOf, type RedisClient, type RedisTopology } from './client';
export { monthlyReportKey, reportGenerationKey } from './keys';
export { readOrderSummary, writeOrderSummaries } from './order-cache';
export {
  invalidateReports,
  readCachedReport,
  readReportGeneration,
  writeCachedReport,
} from './report-cache';
