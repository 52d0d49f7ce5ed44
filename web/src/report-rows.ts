import { formatMinor, formatPercent } from './money';

export interface ProductNumbers {
  productId: string;
  orderCount: number;
  totalQuantity: number;
  totalSalesMinor: number;
  avgUnitPriceMinor: number;
}

/** A product of the month with its change against the previous month's report. */
export interface ReportRow extends ProductNumbers {
  /** null when the month before is not known (past the read models' retention). */
  previousSalesMinor: number | null;
  changeMinor: number | null;
  /** null when the product sold nothing the month before, or that month is not known. */
  changeRatio: number | null;
}

export type SortKey = keyof Pick<
  ReportRow,
  | 'productId'
  | 'orderCount'
  | 'totalQuantity'
  | 'totalSalesMinor'
  | 'avgUnitPriceMinor'
  | 'changeMinor'
  | 'changeRatio'
>;

/**
 * Month-over-month, computed here from two monthly reports. A product sold last month and
 * not this month is a row too (nothing sold, the whole of last month's sales lost): a
 * product that stopped selling is what finance looks for first.
 */
export function compareMonths(
  current: ProductNumbers[],
  previous: ProductNumbers[] | null,
): ReportRow[] {
  // Unknown is not zero: a month past retention would make every product look new.
  if (previous === null) {
    return current.map((p) => ({
      ...p,
      previousSalesMinor: null,
      changeMinor: null,
      changeRatio: null,
    }));
  }
  const before = new Map(previous.map((p) => [p.productId, p.totalSalesMinor]));
  const rows = current.map((p) => {
    const previousSalesMinor = before.get(p.productId) ?? 0;
    const changeMinor = p.totalSalesMinor - previousSalesMinor;
    return {
      ...p,
      previousSalesMinor,
      changeMinor,
      changeRatio: previousSalesMinor === 0 ? null : changeMinor / previousSalesMinor,
    };
  });
  const sold = new Set(current.map((p) => p.productId));
  for (const p of previous) {
    if (sold.has(p.productId)) continue;
    rows.push({
      productId: p.productId,
      orderCount: 0,
      totalQuantity: 0,
      totalSalesMinor: 0,
      avgUnitPriceMinor: 0,
      previousSalesMinor: p.totalSalesMinor,
      changeMinor: -p.totalSalesMinor,
      changeRatio: p.totalSalesMinor === 0 ? null : -1,
    });
  }
  return rows;
}

export function sortRows(rows: ReportRow[], key: SortKey, descending: boolean): ReportRow[] {
  const sign = descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = a[key];
    const y = b[key];
    if (x === y) return a.productId.localeCompare(b.productId);
    if (x === null) return 1;
    if (y === null) return -1;
    return (x < y ? -1 : 1) * sign;
  });
}

function csvField(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The table as on screen: exact integer minor units, and the formatted amount beside them. */
export function rowsToCsv(rows: ReportRow[], currency: string): string {
  const header = [
    'productId',
    'orderCount',
    'totalQuantity',
    'totalSalesMinor',
    'totalSales',
    'avgUnitPriceMinor',
    'avgUnitPrice',
    'previousSalesMinor',
    'changeMinor',
    'changePercent',
    'currency',
  ];
  const lines = rows.map((r) =>
    [
      r.productId,
      r.orderCount,
      r.totalQuantity,
      r.totalSalesMinor,
      formatMinor(r.totalSalesMinor, currency),
      r.avgUnitPriceMinor,
      formatMinor(r.avgUnitPriceMinor, currency),
      r.previousSalesMinor,
      r.changeMinor,
      formatPercent(r.changeRatio),
      currency,
    ]
      .map(csvField)
      .join(','),
  );
  return `${[header.join(','), ...lines].join('\r\n')}\r\n`;
}
