// `npm run export -- --month YYYY-MM` or `--from YYYY-MM --to YYYY-MM`: the months written to
// EXPORT_DIR as Hive-partitioned Parquet (docs/exports.md), in this process (PostgreSQL is
// all it needs), or with --workflow as Temporal workflows (visible in the UI; a worker runs
// them). Exit 0 done, 1 a month could not be exported (said in one line), 2 a usage error.
import { resolve } from 'node:path';
import { config } from '../config/env';
import { EXPORT_USAGE, parseExportArgs } from './export-cli';

const c = config();
const parsed = parseExportArgs(process.argv.slice(2), new Date(), c.REPORT_TIMEZONE);
if ('usage' in parsed) {
  console.error(`${parsed.usage}\n${EXPORT_USAGE}`);
  process.exit(2);
}
// Loaded once the command line is valid: a usage error answers without them.
const { createPool } = await import('../eventstore');
const { exportMonth } = await import('../projections/parquet');
type Summary = Awaited<ReturnType<typeof exportMonth>>;

const exportDir = resolve(c.EXPORT_DIR);

function print(s: Summary): void {
  const parts = s.partitions
    .map(
      (p) =>
        `${p.partition.replace(`/month=${s.month}`, '')} ${p.rows}${p.installed ? '' : ' (a later export stays)'}`,
    )
    .join(', ');
  console.log(
    `${s.month}: ${parts} row(s) in ${exportDir} (events of transactions below ${s.cut.horizon}, positions up to ${s.cut.highestPosition}${s.cut.complete ? '' : '; a transaction open since before the export held some back'})`,
  );
}

async function viaWorkflow(months: string[]): Promise<void> {
  const { openConnections } = await import('../temporal/connections');
  const { prefixedId, taskQueue } = await import('../temporal/task-queues');
  const { EXPORT_WORKFLOW_TYPE } = await import('../contracts/exports');
  const connections = await openConnections();
  try {
    for (const month of months) {
      print(
        await connections.temporal.workflow.execute<(input: { month: string }) => Promise<Summary>>(
          EXPORT_WORKFLOW_TYPE,
          {
            workflowId: prefixedId(`export-${month}-cli-${Date.now()}`),
            taskQueue: taskQueue('commands'),
            args: [{ month }],
          },
        ),
      );
    }
  } finally {
    await connections.close();
  }
}

async function here(months: string[]): Promise<void> {
  const pool = createPool(c.DATABASE_URL, 2, {
    connectTimeoutMs: c.DATABASE_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: c.DATABASE_WORKER_STATEMENT_TIMEOUT_MS,
  });
  try {
    for (const month of months)
      print(await exportMonth({ pool, exportDir, timeZone: c.REPORT_TIMEZONE }, month));
  } finally {
    await pool.end();
  }
}

try {
  await (parsed.workflow ? viaWorkflow(parsed.months) : here(parsed.months));
} catch (err) {
  // One line, not a stack trace: what failed, and the published months are as they were.
  console.error(`export failed: ${(err as Error).message} (published months are unchanged)`);
  process.exitCode = 1;
}
