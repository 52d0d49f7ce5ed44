// What `npm run report` reads from its command line and prints, as pure functions: tested
// without a process or a server (test/currency-display.test.ts); scripts/report.ts runs them.
import { parseArgs } from 'node:util';
import type { MonthlyReport } from '../api/report-queries';
import { CURRENCY_PATTERN, ID_PATTERN } from '../domain';
import { formatMinor } from '../domain/currency';
import { REPORT_VIEWS, type ReportView } from '../projections/report-slot';

export const REPORT_USAGE =
  'usage: npm run report -- rollup --from YYYY-MM --to YYYY-MM\n       npm run report -- show YYYY-MM --currency XXX [--region R] [--view restated|booked]';

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

export type ReportCommand =
  | { command: 'rollup'; from: string; to: string }
  | { command: 'show'; month: string; currency: string; region?: string; view: ReportView };

/** The command the arguments ask for, or why they cannot be used (said with the usage). */
export function parseReportArgs(args: string[]): ReportCommand | { usage: string } {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(args);
  } catch (err) {
    // An unknown or incomplete option: say which, and how to call, not a stack trace.
    return { usage: (err as Error).message };
  }
  const { positionals, values } = parsed;
  const [command, month] = positionals;
  if (command === 'rollup') {
    const { from, to } = values;
    if (!from || !to || !MONTH.test(from) || !MONTH.test(to) || from > to)
      return { usage: 'rollup needs --from and --to, YYYY-MM, from <= to' };
    return { command, from, to };
  }
  if (command === 'show') {
    if (!month) return { usage: 'show needs a month, YYYY-MM' };
    if (!MONTH.test(month))
      return { usage: `the month must be YYYY-MM (e.g. 2025-06); got "${month}"` };
    const { currency, region } = values;
    if (!currency) return { usage: 'show needs --currency, e.g. EUR' };
    if (!CURRENCY_PATTERN.test(currency))
      return {
        usage: `--currency must be 3 capital letters (ISO 4217), e.g. EUR; got "${currency}"`,
      };
    if (region !== undefined && !ID_PATTERN.test(region))
      return { usage: '--region must be 1-64 characters of A-Z a-z 0-9 _ - (as the API takes it)' };
    const view = values.view as ReportView;
    if (!REPORT_VIEWS.includes(view))
      return { usage: `--view must be one of ${REPORT_VIEWS.join(', ')}` };
    return { command, month, currency, view, ...(region === undefined ? {} : { region }) };
  }
  return { usage: `unknown command: ${command ?? '(none)'}` };
}

function parseOptions(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      currency: { type: 'string' },
      region: { type: 'string' },
      view: { type: 'string', default: 'restated' },
    },
  });
}

/** The report as `report show` prints it: a heading, then a table with a TOTAL line. */
export function reportText(r: MonthlyReport, timeZone: string): string[] {
  const heading = `Monthly report ${r.month} ${r.currency} ${r.region ? `region ${r.region}` : 'all regions'}, ${r.view} view (${r.source}, generated ${r.generatedAt}, zone ${timeZone})\n`;
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
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [
    heading,
    line(header),
    rule,
    ...rows.flatMap((row, i) => (i === rows.length - 1 ? [rule, line(row)] : [line(row)])),
  ];
}
