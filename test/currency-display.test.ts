import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config } from '../config/env';
import { currencyDigits, formatMinor } from '../domain/currency';
import { ordersAlias, readOrderDocument } from '../projections/elasticsearch';
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

  it('an unknown option or a --region the API would refuse: exit 2, usage, no stack trace', async () => {
    for (const [args, says] of [
      [['show', '2025-01', '--currency', 'EUR', '--bogus'], /Unknown option '--bogus'/],
      [['show', '2025-01', '--currency', 'EUR', '--region', 'eu west'], /--region must be/],
      [['show', '2025-01', '--currency', 'EUR', '--region', 'x'.repeat(65)], /--region must be/],
    ] as const) {
      const { code, stderr } = await report(...args);
      expect(code, stderr).toBe(2);
      expect(stderr).toMatch(says);
      expect(stderr).toMatch(/usage: npm run report -- rollup/);
      expect(stderr).not.toMatch(/\n\s+at /);
    }
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
    for (const [currency, total] of Object.entries(EXPECTED_TOTAL)) {
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
    }
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
