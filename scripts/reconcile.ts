// `npm run reconcile -- [--month] YYYY-MM [--workflow]`: the month recomputed from the event
// store, compared with the rollup, the live aggregation and the Redis cache. Exits 1 on any
// difference and only then (a cron job tells them apart), 2 on a usage error, 3 when it
// could not compare (a server down, no read model yet). --workflow
// runs it as a Temporal workflow (visible in the UI).
import { parseArgs } from 'node:util';
import { config } from '../config/env';
import { retentionCutoff } from '../domain/report-months';
import { type ReconcileResult, reconcileMonth } from '../projections/reconcile';
import { openConnections } from '../temporal/connections';
import { taskQueue } from '../temporal/task-queues';
import type { reconcileMonthWorkflow } from '../workflows/reports';

function usage(reason: string): never {
  console.error(`${reason}\nusage: npm run reconcile -- [--month] YYYY-MM [--workflow]`);
  process.exit(2);
}

function parse() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: { month: { type: 'string' }, workflow: { type: 'boolean', default: false } },
    });
  } catch (err) {
    // An unknown or incomplete option: say which, not a stack trace.
    return usage((err as Error).message);
  }
}
const { values, positionals } = parse();
if (positionals.length > 1) usage(`one month only; got ${positionals.join(' ')}`);
if (values.month && positionals[0]) usage('give the month once: --month YYYY-MM or YYYY-MM');
const month = values.month ?? positionals[0];
if (!month) usage('which month? e.g. 2025-06');
if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month))
  usage(`the month must be YYYY-MM (e.g. 2025-06); got "${month}"`);
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
} catch (err) {
  // Could not compare (a server down, no read model yet): neither "no differences" nor
  // "differences", so its own exit code, and one line rather than a stack trace.
  console.error(`reconcile ${month} could not run: ${(err as Error).message}`);
  process.exit(3);
} finally {
  await connections.close();
}
console.log(
  `reconcile ${month} (zone ${c.REPORT_TIMEZONE}): ${result.slots} report slot(s), each restated and booked; compared live ${result.checked.live}, rollup ${result.checked.rollup}, cache ${result.checked.cache}`,
);
if (!result.rolledUp && result.checked.live > 0) {
  const cutoff = retentionCutoff(new Date(), c.REPORT_TIMEZONE, c.READ_MODEL_RETENTION_MONTHS);
  console.log(
    month < cutoff
      ? `  note: this month has never been rolled up, and is past the read models' retention (before ${cutoff}): no schedule rolls it up, and its read-model data is being deleted; the event store's numbers above are the ones that count`
      : '  note: this month has never been rolled up: its reports are computed live (the monthly schedule rolls it up at its next run once it is closed; `npm run report -- rollup` does now)',
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
