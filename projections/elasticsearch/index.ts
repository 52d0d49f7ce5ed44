// The Elasticsearch read model's front door: what the activities, the API and the scripts
// use of it. Everything else in this folder is how it does it.

// Declared once for both read models (projections/report-slot.ts).
export { REPORT_VIEWS, type ReportSlot, type ReportView } from '../report-slot';
export { deleteMatching } from './delete-matching';
export { responseErrorOf } from './es-errors';
export {
  isMonthRolledUp,
  markMonthRolledUp,
  markRollupCaughtUp,
  noteMonthChanged,
} from './month-markers';
export { ordersAlias, ordersIndexName, ordersIndexPattern, reportsIndexName } from './names';
export { type OrderDocument, reportMonthOf, toOrderDocument } from './order-document';
export { latestOrderDocuments, orderDocumentsOf, reportSlotsMoved } from './order-documents';
export {
  createNextOrdersIndex,
  currentOrdersIndex,
  ensureOrdersIndex,
  markRebuildTarget,
  rebuildTargets,
  swapOrdersAlias,
} from './orders-index';
export {
  InvalidCursorError,
  type OrderSearchFilters,
  readOrderDocument,
  searchOrders,
} from './read-orders';
export {
  computeMonthlyReport,
  computeTopProducts,
  InexactSumError,
  type MonthlyReportNumbers,
  slotsWithOrders,
} from './reports';
export {
  dropRollup,
  ensureReportsIndex,
  readRollup,
  rolledUpSlots,
  rollupBasis,
  writeRollup,
} from './rollups';
export { monthsNeverRolledUp } from './unrolled-months';
export {
  bulkWriteOrderDocuments,
  NonRetryableProjectionError,
  writeOrderDocument,
} from './write-orders';
