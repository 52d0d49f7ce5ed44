// `npm run report -- rollup --from YYYY-MM --to YYYY-MM` (through Temporal, visible in the UI)
// `npm run report -- show YYYY-MM --currency XXX [--region R] [--view restated|booked]`
import type { TRPCError } from '@trpc/server';
import { config } from '../config/env';
import { monthsBetween } from '../domain/report-months';
import type { monthlyRollupWorkflow } from '../workflows/reports';
import { parseReportArgs, REPORT_USAGE, reportText } from './report-cli';

function usage(message: string): never {
  console.error(`${message}\n${REPORT_USAGE}`);
  process.exit(2);
}

/** A report the API refuses: its message, and exit 2 (not 1: nothing ran and failed). */
function refused(err: TRPCError): never {
  console.error(`${err.code}: ${err.message}`);
  process.exit(2);
}

const parsed = parseReportArgs(process.argv.slice(2));
if ('usage' in parsed) usage(parsed.usage);
// Loaded once the command line is valid: the clients and the API's modules take seconds to
// load, and a usage error answers without them.
const { openConnections } = await import('../temporal/connections');
const { taskQueue } = await import('../temporal/task-queues');

if (parsed.command === 'rollup') {
  const { from, to } = parsed;
  const connections = await openConnections();
  try {
    for (const m of monthsBetween(from, to)) {
      const summary = await connections.temporal.workflow.execute<typeof monthlyRollupWorkflow>(
        'monthlyRollupWorkflow',
        {
          workflowId: `rollup-backfill-${m}-${Date.now()}`,
          taskQueue: taskQueue('commands'),
          args: [{ timeZone: config().REPORT_TIMEZONE, month: m }],
        },
      );
      console.log(
        `${m}: rolled up ${summary.slots} report(s) in each view, ${summary.products} product line(s) in the restated view`,
      );
    }
  } finally {
    await connections.close();
  }
} else {
  const { month, currency, region, view } = parsed;
  const c = config();
  const connections = await openConnections();
  const { TRPCError } = await import('@trpc/server');
  const { createLocalCaller } = await import('../api/local-caller');
  try {
    const reports = createLocalCaller(
      {
        ...connections,
        esPrefix: c.ES_INDEX_PREFIX,
        redisPrefix: c.REDIS_KEY_PREFIX,
        reportTimeZone: c.REPORT_TIMEZONE,
        retentionMonths: c.READ_MODEL_RETENTION_MONTHS,
      },
      'reader',
    ).reports;
    const r = await reports.monthly({ month, currency, region, view }).catch((err: unknown) => {
      // What the API would answer (past retention, not begun, inexact), said the same way.
      if (err instanceof TRPCError) refused(err);
      throw err;
    });
    for (const line of reportText(r, c.REPORT_TIMEZONE)) console.log(line);
  } finally {
    await connections.close();
  }
}
