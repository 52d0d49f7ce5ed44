// `npm run report -- rollup --from YYYY-MM --to YYYY-MM` (through Temporal, visible in the UI)
// `npm run report -- show YYYY-MM --currency XXX [--region R] [--view restated|booked]`
import { parseArgs } from 'node:util';
import { TRPCError } from '@trpc/server';
import { createLocalCaller } from '../api/local-caller';
import { config } from '../config/env';
import { CURRENCY_PATTERN, ID_PATTERN } from '../domain';
import { formatMinor } from '../domain/currency';
import { monthsBetween } from '../domain/report-months';
import { REPORT_VIEWS, type ReportView } from '../projections/elasticsearch';
import { openConnections } from '../temporal/connections';
import { taskQueue } from '../temporal/task-queues';
import type { monthlyRollupWorkflow } from '../workflows/reports';

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

function usage(message: string): never {
  console.error(
    `${message}\nusage: npm run report -- rollup --from YYYY-MM --to YYYY-MM\n       npm run report -- show YYYY-MM --currency XXX [--region R] [--view restated|booked]`,
  );
  process.exit(2);
}

/** A report the API refuses: its message, and exit 2 (not 1: nothing ran and failed). */
function refused(err: TRPCError): never {
  console.error(`${err.code}: ${err.message}`);
  process.exit(2);
}

function parse() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        currency: { type: 'string' },
        region: { type: 'string' },
        view: { type: 'string', default: 'restated' },
      },
    });
  } catch (err) {
    // An unknown or incomplete option: say which, and how to call, not a stack trace.
    return usage((err as Error).message);
  }
}
const { positionals, values } = parse();
const [command, month] = positionals;

if (command === 'rollup') {
  const { from, to } = values;
  if (!from || !to || !MONTH.test(from) || !MONTH.test(to) || from > to)
    usage('rollup needs --from and --to, YYYY-MM, from <= to');
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
} else if (command === 'show') {
  if (!month) usage('show needs a month, YYYY-MM');
  if (!MONTH.test(month)) usage(`the month must be YYYY-MM (e.g. 2025-06); got "${month}"`);
  if (!values.currency) usage('show needs --currency, e.g. EUR');
  if (!CURRENCY_PATTERN.test(values.currency))
    usage(`--currency must be 3 capital letters (ISO 4217), e.g. EUR; got "${values.currency}"`);
  if (values.region !== undefined && !ID_PATTERN.test(values.region))
    usage('--region must be 1-64 characters of A-Z a-z 0-9 _ - (as the API takes it)');
  const view = values.view as ReportView;
  if (!REPORT_VIEWS.includes(view)) usage(`--view must be one of ${REPORT_VIEWS.join(', ')}`);
  const c = config();
  const connections = await openConnections();
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
    const r = await reports
      .monthly({ month, currency: values.currency, region: values.region, view })
      .catch((err: unknown) => {
        // What the API would answer (past retention, not begun, inexact), said the same way.
        if (err instanceof TRPCError) refused(err);
        throw err;
      });
    console.log(
      `Monthly report ${r.month} ${r.currency} ${r.region ? `region ${r.region}` : 'all regions'}, ${r.view} view (${r.source}, generated ${r.generatedAt}, zone ${c.REPORT_TIMEZONE})\n`,
    );
    // In the currency's own minor unit: 0 digits for JPY, 3 for BHD, 2 for EUR.
    const money = (minor: number) => formatMinor(minor, r.currency);
    const rows = r.products.map((p) => [
      p.productId,
      String(p.orderCount),
      String(p.totalQuantity),
      money(p.totalSalesMinor),
      money(p.avgUnitPriceMinor),
    ]);
    rows.push([
      'TOTAL',
      String(r.totals.orderCount),
      String(r.totals.totalQuantity),
      money(r.totals.totalSalesMinor),
      '',
    ]);
    const header = ['product', 'orders', 'quantity', `sales ${r.currency}`, 'avg price'];
    const widths = header.map((h, i) =>
      Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)),
    );
    const line = (cells: string[]) =>
      cells
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
        .join('  ');
    console.log(line(header));
    console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    rows.forEach((row, i) => {
      if (i === rows.length - 1) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
      console.log(line(row));
    });
  } finally {
    await connections.close();
  }
} else {
  usage(`unknown command: ${command ?? '(none)'}`);
}
