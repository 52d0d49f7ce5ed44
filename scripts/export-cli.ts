// What `npm run export` reads from its command line, as a pure function: tested without a
// process or a server (test/export-cli.test.ts); scripts/export.ts runs it.
import { parseArgs } from 'node:util';
import { futureMonth, monthSpan, monthsBetween } from '../domain/report-months';

export const EXPORT_USAGE =
  'usage: npm run export -- --month YYYY-MM [--workflow]\n       npm run export -- --from YYYY-MM --to YYYY-MM [--workflow]';

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

export interface ExportCommand {
  months: string[];
  /** Run each month as the Temporal workflow (visible in the UI) instead of in this process. */
  workflow: boolean;
}

/**
 * The months to export, or why the arguments cannot be used (one line). A month past the
 * read models' retention is exported (the events are all there); one that has not begun in
 * `timeZone` is refused, as the API refuses its report.
 */
export function parseExportArgs(
  args: string[],
  now: Date,
  timeZone: string,
): ExportCommand | { usage: string } {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(args);
  } catch (err) {
    // An unknown or incomplete option: say which, not a stack trace.
    return { usage: (err as Error).message.split('\n')[0] ?? 'invalid arguments' };
  }
  const { positionals, values } = parsed;
  const [stray] = positionals;
  if (stray !== undefined) return { usage: `unexpected argument "${stray}": use --month ${stray}` };
  const { month, from, to, workflow } = values;
  if (month !== undefined && (from !== undefined || to !== undefined))
    return { usage: 'give --month or --from/--to, not both' };
  if (month === undefined && from === undefined && to === undefined)
    return { usage: 'which month? --month YYYY-MM, or --from YYYY-MM --to YYYY-MM' };
  if (month === undefined && (from === undefined || to === undefined))
    return { usage: '--from needs --to (and --to needs --from)' };
  const first = month ?? from ?? '';
  const last = month ?? to ?? '';
  for (const m of [first, last]) {
    if (!MONTH.test(m)) return { usage: `the month must be YYYY-MM (e.g. 2025-06); got "${m}"` };
  }
  if (monthSpan(first, last) < 1) return { usage: `--from ${first} is after --to ${last}` };
  const future = futureMonth(last, now, timeZone);
  if (future)
    return {
      usage: `${last} has not begun (the current month in ${timeZone} is ${future.current}): nothing to export yet`,
    };
  return { months: monthsBetween(first, last), workflow: workflow ?? false };
}

function parseOptions(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      month: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      workflow: { type: 'boolean', default: false },
    },
  });
}
