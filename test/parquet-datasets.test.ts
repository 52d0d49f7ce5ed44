import { describe, expect, it } from 'vitest';
import { ExportRefusedError, int64, reportCells } from '../projections/parquet/datasets';
import type { ExactNumbers } from '../projections/reconcile';

// The export's number rule, pure: INT64 or a refusal that says why, never a wrapped sum.

const numbers = (sales: bigint): Map<string, ExactNumbers> =>
  new Map([
    [
      'EUR/eu',
      {
        totals: { orderCount: 1n, totalQuantity: 1n, totalSalesMinor: sales },
        products: [
          {
            productId: 'p-1',
            orderCount: 1n,
            totalQuantity: 1n,
            totalSalesMinor: sales,
            avgUnitPriceMinor: sales,
          },
        ],
      },
    ],
    [
      'EUR/*',
      {
        totals: { orderCount: 1n, totalQuantity: 1n, totalSalesMinor: sales },
        products: [],
      },
    ],
  ]);

describe('INT64 money', () => {
  it('given the largest INT64, then it is written as it is', () => {
    expect(int64(2n ** 63n - 1n, 'x')).toBe(2n ** 63n - 1n);
    expect(int64('-9223372036854775808', 'x')).toBe(-(2n ** 63n));
  });

  it('given a sum one past INT64, then the export is refused, naming it', () => {
    expect(() => reportCells('restated', numbers(2n ** 63n))).toThrow(ExportRefusedError);
    expect(() => reportCells('restated', numbers(2n ** 63n))).toThrow(
      /restated EUR\/eu p-1 total_sales_minor is 9223372036854775808: beyond INT64/,
    );
  });

  it('given a number that is not an exact integer, then it is refused', () => {
    expect(() => int64(2 ** 53 + 2, 'line')).toThrow(/not an exact integer/);
    expect(() => int64(1.5, 'line')).toThrow(ExportRefusedError);
  });

  it('given report numbers, then a row per region and product; the all-regions slot is left out', () => {
    const rows = reportCells('booked', numbers(-4995n));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.map((c) => c.v)).toEqual(['EUR', 'eu', 'p-1', 1n, 1n, -4995n]);
  });
});
