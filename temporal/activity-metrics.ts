import type { ExportActivities } from '../activities/export-activities';
import type { RebuildActivities } from '../activities/rebuild-activities';
import type { ReportActivities } from '../activities/report-activities';
import { logger } from '../runtime/logger';
import {
  countRun,
  exportRows,
  exportRuns,
  highWaterMark,
  rebuildEvents,
  rebuildPosition,
  reconciliationDifferences,
  reconciliationRuns,
  rollupRefusedSlots,
  rollupRuns,
} from '../runtime/metrics';

// Measured where the workers register the activities, so the report and rebuild code
// stays free of metrics.

/**
 * Rollup runs (the catch-up's included: it rolls up through rollupMonth) and the slots they
 * refused, the months the schedule catches up, and reconciliation runs with the differences
 * they found (the last result per month is stored by the reconciliation itself:
 * temporal/reconciliation-metrics.ts).
 */
export function measuredReportActivities(activities: ReportActivities): ReportActivities {
  return {
    ...activities,
    rollupMonth: async (input) => {
      const summary = await countRun(rollupRuns, () => activities.rollupMonth(input));
      const refused = summary.refused ?? [];
      if (refused.length > 0) {
        rollupRefusedSlots.set({ month: input.month }, refused.length);
        logger.error(
          { month: input.month, refused },
          'rollup refused report slots whose sums pass 2^53 minor units: their reports answer 422, npm run reconcile computes them exactly',
        );
      } else {
        // A month that rolls up clean again (a refund brought it back under) stops alerting.
        rollupRefusedSlots.remove({ month: input.month });
      }
      return summary;
    },
    monthsToCatchUp: async (input) => {
      const found = await activities.monthsToCatchUp(input);
      if (found.months.length > 0) {
        logger.info(
          { months: found.months, more: found.more, from: input.from, to: input.to },
          'rolling up closed months that were never rolled up',
        );
      }
      return found;
    },
    reconcile: async (input) => {
      const result = await countRun(reconciliationRuns, () => activities.reconcile(input));
      reconciliationDifferences.inc(result.differences.length);
      return result;
    },
  };
}

const rebuiltUpTo = highWaterMark(rebuildPosition);

/** A rebuild's progress: events read and the position reached (Elasticsearch rebuilds batch). */
export function measuredRebuildActivities(activities: RebuildActivities): RebuildActivities {
  return {
    ...activities,
    // A new rebuild reads the store from its start again.
    createRebuildIndex: async () => {
      const index = await activities.createRebuildIndex();
      rebuiltUpTo.reset('elasticsearch');
      return index;
    },
    rebuildBatch: async (input) => {
      const result = await activities.rebuildBatch(input);
      const labels = { read_model: 'elasticsearch' };
      rebuildEvents.inc(labels, result.events);
      if (result.highestPosition !== undefined) {
        rebuiltUpTo.raise(labels.read_model, result.highestPosition);
      }
      return result;
    },
  };
}

/** Export runs by outcome, and the rows of those published; each run logged with its cut. */
export function measuredExportActivities(activities: ExportActivities): ExportActivities {
  return {
    exportMonth: async (input) => {
      let summary: Awaited<ReturnType<ExportActivities['exportMonth']>>;
      try {
        summary = await activities.exportMonth(input);
      } catch (err) {
        const refused = (err as { type?: string }).type === 'ExportRefused';
        exportRuns.inc({ outcome: refused ? 'refused' : 'error' });
        if (refused)
          logger.error({ month: input.month, err: (err as Error).message }, 'export refused');
        throw err;
      }
      exportRuns.inc({ outcome: 'ok' });
      for (const p of summary.partitions) {
        if (p.installed) exportRows.inc({ dataset: p.partition.split('/')[0] ?? '' }, p.rows);
      }
      logger.info(
        { month: input.month, cut: summary.cut, partitions: summary.partitions },
        'month exported as Parquet',
      );
      return summary;
    },
  };
}
