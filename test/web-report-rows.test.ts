import { describe, expect, it } from 'vitest';
import { formatMinor as serverFormat } from '../domain/currency';
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

/** The digits of a formatted amount, separators, symbol and sign left out. */
const digitsOf = (text: string) => text.replace(/\D/g, '');

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

  it('are exact near 2^53, as the server prints them (integers, never a float division)', () => {
    // Given amounts whose quotient by 10^digits no double holds exactly
    const cases: [number, string][] = [
      [9_007_199_254_720_991, 'EUR'],
      [Number.MAX_SAFE_INTEGER, 'EUR'],
      [-Number.MAX_SAFE_INTEGER, 'USD'],
      [9_007_199_254_720_991, 'BHD'],
      [9_007_199_254_720_991, 'JPY'],
      [5, 'BHD'],
      [-5, 'EUR'],
    ];
    for (const [minor, currency] of cases) {
      // When the workspace formats them, the digits (whatever the locale's separators and
      // symbol) are the server's exact decimal: the same rule, domain/currency.ts
      const shown = formatMinor(minor, currency);
      const exact = serverFormat(minor, currency);
      expect(digitsOf(shown), `${minor} ${currency}: ${shown}`).toBe(digitsOf(exact));
      expect(shown.includes('-') || shown.includes('\u2212'), shown).toBe(minor < 0);
    }
    // Then the CSV's formatted columns carry the same cents (quoted: the amount has separators)
    const [, line = ''] = rowsToCsv(
      compareMonths([product('big', 9_007_199_254_720_991)], []),
      'EUR',
    ).split('\r\n');
    const formatted = [...line.matchAll(/"([^"]*)"/g)].map((m) => digitsOf(m[1] ?? ''));
    expect(formatted, line).toEqual(['9007199254720991', '9007199254720991']);
  });
});

describe('month-over-month and CSV', () => {
  it('a month before that is not known (past retention) compares with nothing, not with zero', () => {
    // Given no previous month, when compared, then no change is claimed, on screen or in CSV
    const rows = compareMonths([product('a', 4500)], null);
    expect(rows).toEqual([
      { ...product('a', 4500), previousSalesMinor: null, changeMinor: null, changeRatio: null },
    ]);
    const [, line] = rowsToCsv(rows, 'JPY').split('\r\n');
    expect(line).toBe('a,1,1,4500,"¥4,500",4500,"¥4,500",,,—,JPY');
  });

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
