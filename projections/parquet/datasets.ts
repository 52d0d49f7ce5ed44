import { type OrderPlacedV1, orderIdOfStream, upcast } from '../../domain';
import type { CompletedOrderRow, ExportEventRow } from '../../eventstore';
import type { ExactNumbers } from '../reconcile';
import { REPORT_VIEWS, type ReportView } from '../report-slot';
import type { Cell } from './staging-db';

// The datasets, their Parquet columns, and how a row of the event store becomes one.
// Money is INT64 minor units, never a float; times are TIMESTAMP adjusted to UTC (micros).

/** Why a month cannot be exported exactly; retrying cannot help. */
export class ExportRefusedError extends Error {
  override name = 'ExportRefusedError';
}

export type DatasetName = 'order_lines' | 'events' | 'monthly_reports';

/** One month of one dataset: one Parquet file in one Hive partition directory. */
export interface Partition {
  dataset: DatasetName;
  /** e.g. `monthly_reports/view=booked/month=2025-03`, below EXPORT_DIR. */
  dir: string;
  /** The staging table its rows are appended to. */
  table: string;
  /** The column a resumed attempt continues after (a global position). */
  key: string | null;
  /** The staging table; its columns but `_pos` are the Parquet file's, in this order. */
  ddl: string;
}

const MONEY_COLUMNS = `currency varchar, region varchar, product_id varchar,
  order_count bigint, quantity bigint, total_sales_minor bigint`;

export function partitionsOf(month: string): Partition[] {
  return [
    {
      dataset: 'order_lines',
      dir: `order_lines/month=${month}`,
      table: 'order_lines',
      key: '_pos',
      ddl: `_pos bigint, order_id varchar, product_id varchar, quantity bigint,
            unit_price_minor bigint, line_total_minor bigint, currency varchar, region varchar,
            customer_id varchar, completed_at timestamptz, refunded_at timestamptz`,
    },
    {
      dataset: 'events',
      dir: `events/month=${month}`,
      table: 'events',
      key: 'position',
      ddl: `position bigint, order_id varchar, version integer, type varchar,
            schema_version integer, recorded_at timestamptz, data varchar`,
    },
    ...REPORT_VIEWS.map(
      (view): Partition => ({
        dataset: 'monthly_reports',
        dir: `monthly_reports/view=${view}/month=${month}`,
        table: `monthly_reports_${view}`,
        key: null,
        ddl: MONEY_COLUMNS,
      }),
    ),
  ];
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/** An exact integer as INT64, or a refusal naming it (a wrapped or rounded sum is worse). */
export function int64(value: number | bigint | string, what: string): bigint {
  if (typeof value === 'number' && !Number.isSafeInteger(value))
    throw new ExportRefusedError(`${what} is ${value}: not an exact integer`);
  const v = BigInt(value);
  if (v > INT64_MAX || v < INT64_MIN)
    throw new ExportRefusedError(
      `${what} is ${v}: beyond INT64, which Parquet readers add as 64-bit integers; not exported rather than wrapped (npm run reconcile computes it exactly)`,
    );
  return v;
}

const text = (v: string | null): Cell => ({ t: 'text', v });
const big = (v: bigint): Cell => ({ t: 'bigint', v });
const micros = (v: string | null): Cell => ({ t: 'micros', v: v === null ? null : BigInt(v) });

/** One row per line of the completed order, its money checked to fit INT64. */
export function orderLineCells(row: CompletedOrderRow): Cell[][] {
  const placed = upcast({
    type: 'OrderPlaced',
    schemaVersion: row.placed_schema_version,
    data: row.placed_data,
  }).data as OrderPlacedV1;
  return placed.items.map((item) => {
    const what = (field: string) => `order ${placed.orderId} ${item.productId} ${field}`;
    return [
      big(BigInt(row.position)),
      text(placed.orderId),
      text(item.productId),
      big(int64(item.quantity, what('quantity'))),
      big(int64(item.unitPriceMinor, what('unitPriceMinor'))),
      big(int64(item.lineTotalMinor, what('lineTotalMinor'))),
      text(placed.currency),
      text(placed.region),
      text(placed.customerId),
      micros(row.completed_us),
      micros(row.refunded_us),
    ];
  });
}

export function eventCells(row: ExportEventRow): Cell[] {
  return [
    big(BigInt(row.position)),
    // The order id, as order_lines has it (the stream is `order-<id>`): the two join on it.
    text(orderIdOfStream(row.stream_id) ?? row.stream_id),
    { t: 'int', v: row.stream_version },
    text(row.event_type),
    { t: 'int', v: row.schema_version },
    micros(row.recorded_us),
    text(row.data),
  ];
}

/**
 * The month's report rows in one view, per currency, region and product, from the event
 * store's exact numbers (reconcile's; the all-regions slots are sums of these, left out).
 */
export function reportCells(view: ReportView, numbers: Map<string, ExactNumbers>): Cell[][] {
  const rows: Cell[][] = [];
  const slots = [...numbers.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [slot, n] of slots) {
    const [currency = '', region = '*'] = slot.split('/');
    if (region === '*') continue;
    for (const p of n.products) {
      const what = (field: string) => `${view} ${slot} ${p.productId} ${field}`;
      rows.push([
        text(currency),
        text(region),
        text(p.productId),
        big(int64(p.orderCount, what('order_count'))),
        big(int64(p.totalQuantity, what('quantity'))),
        big(int64(p.totalSalesMinor, what('total_sales_minor'))),
      ]);
    }
  }
  return rows;
}
