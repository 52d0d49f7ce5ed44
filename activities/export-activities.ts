import { ApplicationFailure } from '@temporalio/activity';
import type pg from 'pg';
import {
  type ExportProgress,
  ExportRefusedError,
  type ExportSummary,
  exportMonth,
} from '../projections/parquet';
import { earlierProgress, heartbeating, recordProgress } from './keep-alive';

export interface ExportActivityDeps {
  pool: pg.Pool;
  exportDir: string;
  reportTimeZone: string;
}

/** What the workflow returns (and the UI shows): the cut, and each partition's rows. */
export type ExportMonthSummary = ExportSummary;

export function createExportActivities(deps: ExportActivityDeps) {
  return heartbeating({
    /**
     * Exports the month; a retry (after a worker died) resumes with the same cut, after the
     * last page the dead attempt reported in its heartbeat.
     */
    async exportMonth({ month }: { month: string }): Promise<ExportMonthSummary> {
      try {
        return await exportMonth(
          { pool: deps.pool, exportDir: deps.exportDir, timeZone: deps.reportTimeZone },
          month,
          {
            ...(earlierProgress<ExportProgress>()
              ? { earlier: earlierProgress<ExportProgress>() }
              : {}),
            onProgress: recordProgress,
          },
        );
      } catch (err) {
        if (err instanceof ExportRefusedError)
          throw ApplicationFailure.nonRetryable(err.message, 'ExportRefused');
        throw err;
      }
    },
  });
}

export type ExportActivities = ReturnType<typeof createExportActivities>;
