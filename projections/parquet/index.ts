// The Parquet export's front door: months of the event store written as Hive-partitioned
// Parquet for a data lake (docs/exports.md). Everything else in this folder is how.
export { type DatasetName, ExportRefusedError } from './datasets';
export {
  type ExportDeps,
  type ExportOptions,
  type ExportProgress,
  type ExportSummary,
  exportMonth,
  stagingRoot,
} from './export-month';
export { DATA_FILE, MANIFEST_FILE, type PartitionManifest, readManifest } from './publish';
