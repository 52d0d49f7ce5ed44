// `npm run reconcile -- --month YYYY-MM [--workflow]`: the month recomputed from the event
// store, compared with the rollup, the live aggregation and the Redis cache. Exits 1 on any
// difference. --workflow runs it as a Temporal workflow (visible in the UI).
import { parseArgs } from 'node:util';
import { config } from '../config/env';
import { type ReconcileResult, reconcileMonth } from '../projections/reconcile';
import { openConnections } from '../temporal/connections';
import { taskQueue } from '../temporal/task-queues';
import type { reconcileMonthWorkflow } from '../workflows/reports';

const { values } = parseArgs({
  options: { month: { type: 'string' }, workflow: { type: 'boolean', default: false } },
});
if (!values.month || !/^\d{4}-(0[1-9]|1[0-2])$/.test(values.month)) {
  console.error('usage: npm run reconcile -- --month YYYY-MM [--workflow]');
  process.exit(2);
}
const month = values.month;
const c = config();
const connections = await openConnections();
let result: ReconcileResult;
try {
  result = values.workflow
    ? await connections.temporal.workflow.execute<typeof reconcileMonthWorkflow>(
        'reconcileMonthWorkflow',
        {
          workflowId: `reconcile-${month}-${Date.now()}`,
          taskQueue: taskQueue('commands'),
          args: [{ month }],
        },
      )
    : await reconcileMonth(
        {
          ...connections,
          esPrefix: c.ES_INDEX_PREFIX,
          redisPrefix: c.REDIS_KEY_PREFIX,
          timeZone: c.REPORT_TIMEZONE,
        },
        month,
      );
} finally {
  await connections.close();
}
console.log(
  `reconcile ${month} (zone ${c.REPORT_TIMEZONE}): ${result.slots} report slot(s), each restated and booked; compared live ${result.checked.live}, rollup ${result.checked.rollup}, cache ${result.checked.cache}`,
);
if (!result.rolledUp && result.checked.live > 0) {
  console.log(
    '  note: this month has never been rolled up: its reports are computed live (the monthly schedule rolls it up at its next run if it is closed and within READ_MODEL_RETENTION_MONTHS; `npm run report -- rollup` does now)',
  );
}
for (const note of result.notes ?? []) console.log(`  note: ${note}`);
for (const d of result.differences) {
  console.log(
    `  DIFF ${d.slot} ${d.view} ${d.source} ${d.what}: event store ${d.expected}, read model ${d.actual}`,
  );
}
console.log(
  result.differences.length === 0 ? 'no differences' : `${result.differences.length} difference(s)`,
);
process.exitCode = result.differences.length === 0 ? 0 : 1;
