// What names one report, for every read model that stores or caches reports.

/**
 * `restated`: orders completed in the month and not refunded since (a refund restates its
 * completion month). `booked`: each completion in its completion month, each refund as a
 * negative line in its own month, so a closed month's booked numbers never change.
 */
export const REPORT_VIEWS = ['restated', 'booked'] as const;

export type ReportView = (typeof REPORT_VIEWS)[number];

/** One report: a month, a currency, a region or every region, and a view (default restated). */
export interface ReportSlot {
  month: string;
  currency: string;
  region: string | null;
  view?: ReportView;
}
