// What starts a month's Parquet export and what it is called in Temporal (the UI lists it).

export const EXPORT_WORKFLOW_TYPE = 'exportMonthWorkflow';

export interface ExportMonthInput {
  /** YYYY-MM, in the report time zone. */
  month: string;
}
