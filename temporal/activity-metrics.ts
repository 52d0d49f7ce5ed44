import type { RebuildActivities } from '../activities/rebuild-activities';
import type { ReportActivities } from '../activities/report-activities';
import { logger } from '../config/logger';
import {
  countRun,
  highWaterMark,
  rebuildEvents,
  rebuildPosition,
  reconciliationDifferences,
  reconciliationRuns,
  rollupRuns,
} from '../config/metrics';

// Measured where the workers register the activities, so the report and rebuild code
// stays free of metrics.

/**
 * Rollup runs (the catch-up's included: it rolls up through rollupMonth), the months the
 * schedule catches up, and reconciliation runs with the differences they found (the last
 * result per month is stored by the reconciliation itself: temporal/reconciliation-metrics.ts).
 */
export function measuredReportActivities(activities: ReportActivities): ReportActivities {
  return {
    ...activities,
    rollupMonth: (input) => countRun(rollupRuns, () => activities.rollupMonth(input)),
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
