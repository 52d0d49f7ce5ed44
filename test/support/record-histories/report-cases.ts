// Cases of the report workflows: the monthly rollup (before and with catch-up), the
// debounced re-rollup, retention and the monthly reconcile.
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { config } from '../../../config/env';
import {
  isMonthRolledUp,
  ordersAlias,
  readOrderDocument,
} from '../../../projections/elasticsearch';
import { requestRerollup } from '../../../temporal/reports-client';
import { prefixedId, taskQueue } from '../../../temporal/task-queues';
import { addMonths, monthIn } from '../../../workflows/report-months';
import { type MonthlyRollupInput, rerollupWorkflowId } from '../../../workflows/reports';
import { completeOrderIn } from '../completed-orders';
import type { RecordingEnv } from '../record-env';
import { waitFor } from '../wait';
import { type Case, count, expectFact, ITEM } from './case';

async function startReportWorkflow(
  env: RecordingEnv,
  type: string,
  args: unknown[],
): Promise<WorkflowHandle> {
  return env.app.connections.temporal.workflow.start(type, {
    workflowId: prefixedId(`${type}-recorded-${randomUUID()}`),
    taskQueue: taskQueue('commands'),
    args,
  });
}

const currentMonth = () => monthIn(new Date(), config().REPORT_TIMEZONE);

/**
 * The latest `count` closed months before last month (the scheduled run's own) that were
 * never rolled up in this read model, within retention.
 */
async function monthsNeverRolledUp(env: RecordingEnv, count: number): Promise<string[]> {
  const found: string[] = [];
  for (let back = 2; found.length < count && back <= config().READ_MODEL_RETENTION_MONTHS; back++) {
    const month = addMonths(currentMonth(), -back);
    if (!(await isMonthRolledUp(env.app.connections.es, config().ES_INDEX_PREFIX, month)))
      found.push(month);
  }
  if (found.length < count)
    throw new Error('too few months left to catch up here: record into a fresh ES_INDEX_PREFIX');
  return found;
}

export const REPORT_CASES: Record<string, Case> = {
  'monthly-rollup': {
    file: 'monthly-rollup.json',
    // As schedules applied before the catch-up start it: no month (the one before the
    // scheduled time), no catch-up.
    run: (env) =>
      startReportWorkflow(env, 'monthlyRollupWorkflow', [{ timeZone: config().REPORT_TIMEZONE }]),
    check: (facts) => expectFact(facts.activities.includes('rollupMonth'), 'the rollup', facts),
  },
  /**
   * The old side of the rollup-catch-up patch: the schedule's run with the input the
   * schedule passes since (catch-up on), as the workflow code before the patch ran it (the
   * scheduled month alone). Recorded at the commit before the patch; re-recorded with
   * later code its check fails.
   */
  'monthly-rollup-before-catch-up': {
    file: 'monthly-rollup-before-catch-up.json',
    run: (env) =>
      startReportWorkflow(env, 'monthlyRollupWorkflow', [
        {
          timeZone: config().REPORT_TIMEZONE,
          catchUp: { retentionMonths: config().READ_MODEL_RETENTION_MONTHS },
        },
      ]),
    check: (facts) =>
      expectFact(
        facts.patches.length === 0 && facts.activities.join() === 'rollupMonth',
        'the scheduled month rolled up alone, no patch marker',
        facts,
      ),
  },
  /**
   * The schedule's run catching up two closed months never rolled up (orders completed in
   * them with `at`), one per run: it rolls up the first and continues as new.
   */
  'monthly-rollup-catch-up': {
    file: 'monthly-rollup-catch-up.json',
    async run(env) {
      for (const month of await monthsNeverRolledUp(env, 2)) {
        const order = await completeOrderIn(env.app.client('admin'), month, ITEM);
        await waitFor('the back-dated order projected', async () =>
          (
            await readOrderDocument(
              env.app.connections.es,
              ordersAlias(config().ES_INDEX_PREFIX),
              order.orderId,
            )
          )?.status === 'completed'
            ? true
            : undefined,
        );
      }
      await env.app.connections.es.indices.refresh({
        index: ordersAlias(config().ES_INDEX_PREFIX),
      });
      const input: MonthlyRollupInput = {
        timeZone: config().REPORT_TIMEZONE,
        catchUp: { retentionMonths: config().READ_MODEL_RETENTION_MONTHS, monthsPerRun: 1 },
      };
      const started = await env.app.connections.temporal.workflow.start('monthlyRollupWorkflow', {
        workflowId: prefixedId(`monthlyRollupWorkflow-recorded-${randomUUID()}`),
        taskQueue: taskQueue('commands'),
        args: [input],
      });
      // The first run, the one that continues as new (its result follows the chain).
      return env.app.connections.temporal.workflow.getHandle(
        started.workflowId,
        started.firstExecutionRunId,
      );
    },
    check(facts) {
      expectFact(facts.patches.includes('rollup-catch-up'), 'the rollup-catch-up marker', facts);
      expectFact(
        facts.activities.join() === 'rollupMonth,monthsToCatchUp,rollupMonth',
        'the scheduled month, the search, one caught-up month',
        facts,
      );
      expectFact(facts.continuedAsNew, 'a continue-as-new for the second month', facts);
    },
  },
  /** Two corrections within the quiet time: one debounced rollup. */
  rerollup: {
    file: 'rerollup-month.json',
    async run(env) {
      const temporal = env.app.connections.temporal;
      const month = currentMonth();
      await requestRerollup(temporal, month);
      await new Promise((resolve) => setTimeout(resolve, 500));
      await requestRerollup(temporal, month);
      return temporal.workflow.getHandle(prefixedId(rerollupWorkflowId(month)));
    },
    check: (facts) =>
      expectFact(count(facts.signals, 'monthDirty') >= 2, 'two monthDirty signals', facts),
  },
  /** The rollup since exports: it starts the month's export (the export-after-rollup marker). */
  'monthly-rollup-export': {
    file: 'monthly-rollup-export.json',
    run: (env) =>
      startReportWorkflow(env, 'monthlyRollupWorkflow', [{ timeZone: config().REPORT_TIMEZONE }]),
    check: (facts) =>
      expectFact(
        facts.patches.includes('export-after-rollup') && facts.activities.includes('rollupMonth'),
        'the rollup and the export-after-rollup marker',
        facts,
      ),
  },
  /** A re-rollup since exports: each rollup starts an export of the month. */
  'rerollup-export': {
    file: 'rerollup-month-export.json',
    async run(env) {
      const temporal = env.app.connections.temporal;
      const month = addMonths(currentMonth(), -1);
      await requestRerollup(temporal, month);
      return temporal.workflow.getHandle(prefixedId(rerollupWorkflowId(month)));
    },
    check: (facts) =>
      expectFact(
        facts.patches.includes('export-after-rollup') && facts.activities.includes('rollupMonth'),
        'a rollup and the export-after-rollup marker',
        facts,
      ),
  },
  /** A month's Parquet export: one heartbeating activity. */
  'export-month': {
    file: 'export-month.json',
    run: (env) => startReportWorkflow(env, 'exportMonthWorkflow', [{ month: currentMonth() }]),
    check: (facts) => expectFact(facts.activities.join() === 'exportMonth', 'the export', facts),
  },
  retention: {
    file: 'retention.json',
    run: (env) =>
      startReportWorkflow(env, 'retentionWorkflow', [
        { months: config().READ_MODEL_RETENTION_MONTHS, timeZone: config().REPORT_TIMEZONE },
      ]),
    check: (facts) => expectFact(facts.activities.includes('applyRetention'), 'the purge', facts),
  },
  reconcile: {
    file: 'reconcile-month.json',
    run: (env) => startReportWorkflow(env, 'reconcileMonthWorkflow', [{ month: currentMonth() }]),
    check: (facts) => expectFact(facts.activities.includes('reconcile'), 'the reconcile', facts),
  },
};
