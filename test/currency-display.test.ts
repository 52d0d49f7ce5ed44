import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config } from '../config/env';
import { currencyDigits, formatMinor } from '../domain/currency';
import { ordersAlias, readOrderDocument } from '../projections/elasticsearch';
import { parseReportArgs, reportText } from '../scripts/report-cli';
import { startTestApp, type TestApp } from './support/app';
import { waitFor } from './support/wait';

const root = fileURLToPath(new URL('..', import.meta.url));
/** 3 × 12,345 + 7 minor units: 37,042 of them, whatever the currency. */
const ITEMS = [
  { productId: 'p-big', quantity: 3, unitPriceMinor: 12_345 },
  { productId: 'p-small', quantity: 1, unitPriceMinor: 7 },
];
const EXPECTED_TOTAL: Record<string, string> = {
  JPY: '37042',
  KRW: '37042',
  BHD: '37.042',
  KWD: '37.042',
  EUR: '370.42',
};

describe('minor units (pure)', () => {
  it('come from the runtime per currency: 0, 2 or 3 digits', () => {
    expect(
      ['JPY', 'KRW', 'EUR', 'USD', 'BHD', 'KWD', 'JOD', 'OMR', 'TND'].map(currencyDigits),
    ).toEqual([0, 0, 2, 2, 3, 3, 3, 3, 3]);
  });

  it('format integers exactly, signs and leading zeros included', () => {
    expect(formatMinor(5, 'BHD')).toBe('0.005');
    expect(formatMinor(-5, 'EUR')).toBe('-0.05');
    expect(formatMinor(0, 'JPY')).toBe('0');
    expect(formatMinor(1_000_000_000_000_001, 'EUR')).toBe('10000000000000.01');
  });

  it('`report show`’s text shows each total in its currency’s minor unit', () => {
    for (const [currency, total] of Object.entries(EXPECTED_TOTAL)) {
      // Given the month's report of one order of ITEMS in the currency
      const lines = ITEMS.map((i) => ({ ...i, totalSalesMinor: i.quantity * i.unitPriceMinor }));
      const report = {
        month: '2025-06',
        view: 'restated' as const,
        currency,
        region: 'money',
        source: 'live' as const,
        generatedAt: '2025-06-30T12:00:00.000Z',
        totals: { orderCount: 1, totalQuantity: 4, totalSalesMinor: 37_042 },
        products: lines.map((l) => ({
          productId: l.productId,
          orderCount: 1,
          totalQuantity: l.quantity,
          totalSalesMinor: l.totalSalesMinor,
          avgUnitPriceMinor: l.unitPriceMinor,
        })),
      };
      // When it is printed, Then its TOTAL line is in the currency's minor unit
      const text = reportText(report, 'UTC');
      const totalLine = text.find((l) => l.startsWith('TOTAL'));
      expect(totalLine?.trim().split(/\s+/), text.join('\n')).toEqual(['TOTAL', '1', '4', total]);
    }
  });
});

describe('the report CLI refuses what it cannot use, with its usage', () => {
  const report = (...args: string[]) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/report.ts', ...args], {
      cwd: root,
      env: process.env,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
    );

  it('an unknown option or a --region the API would refuse: the reason, said with the usage (pure)', () => {
    for (const [args, says] of [
      [['show', '2025-01', '--currency', 'EUR', '--bogus'], /Unknown option '--bogus'/],
      [['show', '2025-01', '--currency', 'EUR', '--region', 'eu west'], /--region must be/],
      [['show', '2025-01', '--currency', 'EUR', '--region', 'x'.repeat(65)], /--region must be/],
    ] as const) {
      const parsed = parseReportArgs([...args]);
      expect(parsed, args.join(' ')).toEqual({ usage: expect.stringMatching(says) });
    }
    // A valid line passes, region and view included.
    expect(
      parseReportArgs([
        'show',
        '2025-01',
        '--currency',
        'EUR',
        '--region',
        'eu',
        '--view',
        'booked',
      ]),
    ).toEqual({ command: 'show', month: '2025-01', currency: 'EUR', region: 'eu', view: 'booked' });
  });

  it('an unknown option: exit 2, usage, no stack trace', async () => {
    // The process around the pure parsing above: one refusal shows how every one is said.
    const { code, stderr } = await report('show', '2025-01', '--currency', 'EUR', '--bogus');
    expect(code, stderr).toBe(2);
    expect(stderr).toMatch(/Unknown option '--bogus'/);
    expect(stderr).toMatch(/usage: npm run report -- rollup/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});

describe('amounts shown to a user', () => {
  let app: TestApp;
  const month = new Date().toISOString().slice(0, 7);

  beforeAll(async () => {
    app = await startTestApp();
    const writer = app.client('writer');
    const alias = ordersAlias(config().ES_INDEX_PREFIX);
    for (const currency of Object.keys(EXPECTED_TOTAL)) {
      const { orderId } = await writer.orders.place.mutate({
        customerId: 'c-money',
        region: 'money',
        currency,
        items: ITEMS,
      });
      await writer.orders.complete.mutate({ orderId });
      await waitFor(`order ${orderId} projected`, async () =>
        (await readOrderDocument(app.connections.es, alias, orderId))?.status === 'completed'
          ? true
          : undefined,
      );
    }
    await app.connections.es.indices.refresh({ index: alias });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('`npm run report -- show` prints each total in its currency’s minor unit', async () => {
    // The process around reportText (tested for every currency above), from the stored
    // orders: one currency without minor digits, one with three, side by side.
    const shown = Object.entries(EXPECTED_TOTAL).filter(([c]) => c === 'JPY' || c === 'BHD');
    expect(shown).toHaveLength(2);
    const show = async ([currency, total]: [string, string]) => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          '--import',
          'tsx',
          'scripts/report.ts',
          'show',
          month,
          '--currency',
          currency,
          '--region',
          'money',
        ],
        { cwd: root, env: process.env },
      );
      const totalLine = stdout.split('\n').find((l) => l.startsWith('TOTAL'));
      expect(totalLine?.trim().split(/\s+/), stdout).toEqual(['TOTAL', '1', '4', total]);
    };
    await Promise.all(shown.map(show));
  });

  it('report replies carry the minor-unit digits', async () => {
    const reader = app.client('reader');
    for (const [currency, digits] of [
      ['JPY', 0],
      ['BHD', 3],
      ['EUR', 2],
    ] as const) {
      const monthly = await reader.reports.monthly.query({ month, currency, region: 'money' });
      expect(monthly).toMatchObject({
        currencyDigits: digits,
        totals: { totalSalesMinor: 37_042 },
      });
      const top = await reader.reports.topProducts.query({ from: month, to: month, currency });
      expect(top.currencyDigits).toBe(digits);
    }
  });
});
