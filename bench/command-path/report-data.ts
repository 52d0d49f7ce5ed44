// The report loads' data set: what bench/reports-at-scale.ts leaves (orders_bench's tables
// for the SQL JOIN, the `bench-` read model for the API), and the slots both loads ask for.
import { onCleanup } from './cleanups';
import {
  openReportReadSide,
  type ReportSlot,
  reportReadModel,
  sqlReportSlots,
  sqlReportTablesMissing,
} from './report-load';
import type { Settings } from './settings';

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
