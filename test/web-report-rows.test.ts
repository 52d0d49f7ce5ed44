import { describe, expect, it } from 'vitest';
import { formatMinor, minorDigits } from '../web/src/money';
import { compareMonths, rowsToCsv, sortRows } from '../web/src/report-rows';

// Pure functions of the web workspace: money from minor units, month-over-month, CSV.
const product = (productId: string, totalSalesMinor: number) => ({
  productId,
  orderCount: 1,
  totalQuantity: 1,
  totalSalesMinor,
  avgUnitPriceMinor: totalSalesMinor,
});

describe('amounts from minor units', () => {
  it("use the currency's own digits as Intl knows them", () => {
    expect([minorDigits('JPY'), minorDigits('EUR'), minorDigits('BHD')]).toEqual([0, 2, 3]);
    const en = (minor: number, c: string) =>
      new Intl.NumberFormat(undefined, { style: 'currency', currency: c }).format(
        minor / 10 ** minorDigits(c),
      );
    expect(formatMinor(1500, 'JPY')).toBe(en(1500, 'JPY'));
    expect(formatMinor(1500, 'JPY')).not.toMatch(/[.,]00\b/);
    expect(formatMinor(1234, 'BHD')).toBe(en(1234, 'BHD'));
    expect(formatMinor(1234, 'BHD')).toMatch(/1[.,]234/);
  });
});

describe('month-over-month and CSV', () => {
  it('compares each product with the previous month, and exports exact minor units', () => {
    const rows = compareMonths(
      [product('a', 4500), product('b,"x"', 750)],
      [product('a', 1000), product('gone', 99)],
    );
    // 'gone' sold last month only: a row with nothing this month, all of it lost.
    expect(rows.map((r) => [r.productId, r.totalSalesMinor, r.changeMinor, r.changeRatio])).toEqual(
      [
        ['a', 4500, 3500, 3.5],
        ['b,"x"', 750, 750, null],
        ['gone', 0, -99, -1],
      ],
    );
    expect(sortRows(rows, 'changeRatio', true).map((r) => r.productId)).toEqual([
      'a',
      'gone',
      'b,"x"',
    ]);
    const csv = rowsToCsv(rows, 'EUR').split('\r\n');
    expect(csv[0]).toBe(
      'productId,orderCount,totalQuantity,totalSalesMinor,totalSales,avgUnitPriceMinor,avgUnitPrice,previousSalesMinor,changeMinor,changePercent,currency',
    );
    expect(csv[1]?.startsWith('a,1,1,4500,')).toBe(true);
    expect(csv[2]?.startsWith('"b,""x""",1,1,750,')).toBe(true);
    expect(csv[3]?.startsWith('gone,0,0,0,')).toBe(true);
    expect(csv[4]).toBe('');
  });
});
