import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config } from '../config/env';
import { monthIn } from '../domain/report-months';
import {
  DATA_FILE,
  type ExportProgress,
  exportMonth,
  MANIFEST_FILE,
  type PartitionManifest,
} from '../projections/parquet';
import { reportsFromEventStore } from '../projections/reconcile';
import type { ReportView } from '../projections/report-slot';
import { startTestApp, type TestApp } from './support/app';
import { duckdbRows, lit } from './support/parquet';

// A month exported as Parquet, read back with DuckDB as an analyst would, equals the event
// store's exact numbers (reconcile's SQL) per currency, region, product and view — before
// and after a late correction; a write killed midway leaves the published month whole and
// resumes; a reader during re-exports never sees part of a month.

const M = '2019-03';
const NEXT = '2019-04';

let app: TestApp;
let dir: string;
const late: { orderId: string } = { orderId: '' };

beforeAll(async () => {
  expect(config().REPORT_TIMEZONE).toBe('UTC');
  dir = path.join(config().EXPORT_DIR, 'main');
  app = await startTestApp(['commands']);
});
afterAll(async () => {
  await app?.stop();
});

const deps = (exportDir = dir) => ({ pool: app.connections.pool, exportDir, timeZone: 'UTC' });
const at = (month: string, day: number, hour = 12) =>
  `${month}-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00.000Z`;

async function order(
  month: string,
  items: { productId: string; quantity: number; unitPriceMinor: number }[],
  opts: { currency?: string; region?: string; complete?: boolean; refundIn?: string } = {},
): Promise<string> {
  const admin = app.client('admin');
  const { orderId } = await admin.orders.place.mutate({
    commandId: randomUUID(),
    customerId: 'c-lake',
    region: opts.region ?? 'eu',
    currency: opts.currency ?? 'EUR',
    items,
    at: at(month, 10, 8),
  });
  if (opts.complete === false) return orderId;
  await admin.orders.complete.mutate({ orderId, at: at(month, 10) });
  if (opts.refundIn)
    await admin.orders.refund.mutate({ orderId, reason: 'returned', at: at(opts.refundIn, 20) });
  return orderId;
}

/** reconcile's exact numbers for the month, per currency/region/product, as text lines. */
async function truth(month: string, view: ReportView): Promise<string[]> {
  const numbers = await reportsFromEventStore(app.connections.pool, month, 'UTC', view);
  const lines: string[] = [];
  for (const [slot, n] of numbers) {
    if (slot.endsWith('/*')) continue;
    for (const p of n.products)
      lines.push(`${slot}/${p.productId} ${p.orderCount} ${p.totalQuantity} ${p.totalSalesMinor}`);
  }
  return lines.sort();
}

const asLines = (rows: Record<string, unknown>[]) =>
  rows
    .map((r) => `${r.currency}/${r.region}/${r.product_id} ${r.orders} ${r.qty} ${r.sales}`)
    .sort();

const linesGlob = () => lit(`${dir}/order_lines/*/*.parquet`);

/** The view recomputed by DuckDB from the order_lines dataset alone (every month's partition). */
async function fromOrderLines(month: string, view: ReportView): Promise<string[]> {
  const lines = `read_parquet(${linesGlob()}, hive_partitioning = true)`;
  const signed =
    view === 'restated'
      ? `select *, 1 as sign from ${lines} where month = '${month}' and refunded_at is null`
      : `select *, 1 as sign from ${lines} where month = '${month}'
         union all
         select *, -1 as sign from ${lines}
         where strftime(refunded_at at time zone 'UTC', '%Y-%m') = '${month}'`;
  return asLines(
    await duckdbRows(
      `select currency, region, product_id,
              count(distinct order_id) filter (where sign > 0)
                - count(distinct order_id) filter (where sign < 0) as orders,
              sum(sign * quantity) as qty, sum(sign * line_total_minor) as sales
       from (${signed}) group by all`,
    ),
  );
}

/** The monthly_reports dataset as DuckDB reads it. */
async function fromMonthlyReports(month: string, view: ReportView): Promise<string[]> {
  return asLines(
    await duckdbRows(
      `select currency, region, product_id, order_count as orders, quantity as qty,
              total_sales_minor as sales
       from read_parquet(${lit(`${dir}/monthly_reports/*/*/*.parquet`)}, hive_partitioning = true)
       where view = '${view}' and month = '${month}'`,
    ),
  );
}

async function expectLakeEqualsEventStore(months: string[]): Promise<void> {
  for (const month of months) {
    for (const view of ['restated', 'booked'] as const) {
      const expected = await truth(month, view);
      expect(expected.length, `${month} ${view} has sales`).toBeGreaterThan(0);
      expect(await fromMonthlyReports(month, view), `${month} ${view} monthly_reports`).toEqual(
        expected,
      );
      expect(await fromOrderLines(month, view), `${month} ${view} order_lines`).toEqual(expected);
    }
  }
}

const manifestOf = async (partition: string) =>
  JSON.parse(await readFile(path.join(dir, partition, MANIFEST_FILE), 'utf8')) as PartitionManifest;

describe('Parquet export of a month', () => {
  it('reads back in DuckDB equal to reconcile in both views, to the unit, past 2^53', async () => {
    await order(M, [
      { productId: 'p-a', quantity: 2, unitPriceMinor: 1250 },
      { productId: 'p-b', quantity: 1, unitPriceMinor: 999 },
    ]);
    await order(M, [{ productId: 'p-a', quantity: 3, unitPriceMinor: 1250 }], { region: 'us' });
    await order(M, [{ productId: 'p-c', quantity: 1, unitPriceMinor: 500 }], {
      currency: 'JPY',
      refundIn: M,
    });
    late.orderId = await order(M, [{ productId: 'p-b', quantity: 5, unitPriceMinor: 999 }]);
    await order(M, [{ productId: 'p-a', quantity: 9, unitPriceMinor: 1 }], { complete: false });
    await order(NEXT, [{ productId: 'p-a', quantity: 1, unitPriceMinor: 1250 }]);
    // 10 orders of 100 lines of 10,000 × 10^9: p-big sells 10^16, past 2^53 (a double rounds it).
    const big = { productId: 'p-big', quantity: 10_000, unitPriceMinor: 1_000_000_000 };
    for (let i = 0; i < 10; i++)
      await order(
        M,
        Array.from({ length: 100 }, () => big),
      );

    for (const month of [M, NEXT]) await exportMonth(deps(), month);

    await expectLakeEqualsEventStore([M, NEXT]);
    const [bigLine] = await duckdbRows(
      `select sum(line_total_minor)::varchar as sales from read_parquet(${linesGlob()}, hive_partitioning = true)
       where product_id = 'p-big'`,
    );
    expect(bigLine?.sales).toBe('10000000000000000');
    // Money as INT64 and times adjusted to UTC in the files themselves; no float anywhere.
    const schema = await duckdbRows(
      `select name, type, logical_type::varchar as logical from parquet_schema(${lit(
        path.join(dir, `order_lines/month=${M}`, DATA_FILE),
      )})`,
    );
    const column = (name: string) => schema.find((c) => c.name === name);
    for (const money of ['quantity', 'unit_price_minor', 'line_total_minor'])
      expect(column(money)?.type, money).toBe('INT64');
    expect(String(column('completed_at')?.logical)).toMatch(
      /isAdjustedToUTC=1|isAdjustedToUTC=true/i,
    );
    expect(schema.map((c) => c.type)).not.toContain('DOUBLE');
    // The manifest says what the file is: rows, checksum, the events it covers, the code.
    const manifest = await manifestOf(`order_lines/month=${M}`);
    expect(manifest.rows).toBe(2 + 1 + 1 + 1 + 1000);
    const [counted] = await duckdbRows(
      `select count(*)::int as n from read_parquet(${lit(path.join(dir, `order_lines/month=${M}`, DATA_FILE))})`,
    );
    expect(counted?.n).toBe(manifest.rows);
    expect(manifest.eventStore.complete).toBe(true);
    expect(manifest.eventStore.highestPosition).toBeGreaterThan(0);
    expect(manifest.code.version).toMatch(/^\d+\.\d+\.\d+/);
    // Events are partitioned by the month they were recorded in (today), not back-dated ones.
    expect((await manifestOf(`events/month=${M}`)).rows).toBe(0);
    const today = monthIn(new Date(), 'UTC');
    await exportMonth(deps(), today);
    // Events and order lines join on order_id: an order's lines and its whole history.
    const [joined] = await duckdbRows(
      `select count(*)::int as events, count(distinct e.order_id)::int as orders,
              string_agg(distinct e.type, ',' order by e.type) as types
       from read_parquet(${lit(`${dir}/events/*/*.parquet`)}, hive_partitioning = true) e
       where e.month = '${today}' and e.order_id in (
         select order_id from read_parquet(${linesGlob()}, hive_partitioning = true)
         where month = '${M}' and product_id = 'p-c')`,
    );
    expect(joined).toEqual({
      events: 3,
      orders: 1,
      types: 'OrderCompleted,OrderPlaced,OrderRefunded',
    });
  });

  it('after a late correction (a refund the month after), the re-export follows it', async () => {
    const before = await fromMonthlyReports(M, 'restated');
    const bookedBefore = await fromMonthlyReports(M, 'booked');
    await app.client('admin').orders.refund.mutate({
      orderId: late.orderId,
      reason: 'late',
      at: at(NEXT, 5),
    });
    for (const month of [M, NEXT]) await exportMonth(deps(), month);
    await expectLakeEqualsEventStore([M, NEXT]);
    expect(await fromMonthlyReports(M, 'restated')).not.toEqual(before);
    // Booked: a closed month's numbers never change; the refund is a negative line in NEXT.
    expect(await fromMonthlyReports(M, 'booked')).toEqual(bookedBefore);
    expect((await fromMonthlyReports(NEXT, 'booked')).join('\n')).toContain(
      'EUR/eu/p-b -1 -5 -4995',
    );
  });
  it('a write killed midway leaves the published month whole; the retry resumes after its last page', async () => {
    const partition = `order_lines/month=${M}`;
    const file = path.join(dir, partition, DATA_FILE);
    const published = await manifestOf(partition);
    const expected = await truth(M, 'restated');
    let killedAt: ExportProgress | undefined;
    let pages = 0;
    const small = { ...deps(), pageSize: 2 };
    await expect(
      exportMonth(small, M, {
        onProgress: (p) => {
          killedAt = structuredClone(p);
          if (++pages === 3) throw new Error('worker killed');
        },
      }),
    ).rejects.toThrow('worker killed');
    expect(killedAt?.current?.partition).toBe(partition);
    const rowsAtKill = killedAt?.current?.rows ?? 0;
    expect(rowsAtKill).toBeGreaterThan(0);
    // Nothing published moved: the same bytes, the same manifest, the same numbers.
    expect(sha256(await readFile(file))).toBe(published.sha256);
    expect(await manifestOf(partition)).toEqual(published);
    expect(await fromOrderLines(M, 'restated')).toEqual(expected);

    // The retry (the activity's next attempt, given the last heartbeat's details) goes on.
    const resumed: number[] = [];
    const summary = await exportMonth(small, M, {
      ...(killedAt ? { earlier: killedAt } : {}),
      onProgress: (p) => {
        if (p.current?.partition === partition) resumed.push(p.current.rows);
      },
    });
    expect(summary.exportId).toBe(killedAt?.exportId);
    // Its first page counts on from the rows the killed attempt had staged.
    expect(resumed[0]).toBeGreaterThan(rowsAtKill);
    const after = await manifestOf(partition);
    expect(after.exportId).toBe(killedAt?.exportId);
    expect(after.rows).toBe(published.rows);
    const [dupes] = await duckdbRows(
      `select (count(*) - count(distinct (order_id, product_id, quantity, line_total_minor)))::int as extra,
              count(*)::int as n
       from read_parquet(${lit(file)}) where product_id <> 'p-big'`,
    );
    expect(dupes?.extra).toBe(0);
    await expectLakeEqualsEventStore([M, NEXT]);
  });

  it('a reader during re-exports always sees the whole month, never part of it', async () => {
    const read = async () =>
      JSON.stringify(
        await duckdbRows(
          `select count(*)::int as n, sum(line_total_minor)::varchar as sales,
                  count(refunded_at)::int as refunded
           from read_parquet(${lit(path.join(dir, `order_lines/month=${M}`, '*.parquet'))})`,
        ),
      );
    const whole = await read();
    const seen = new Set<string>();
    let reads = 0;
    let exporting = true;
    const reader = (async () => {
      while (exporting) {
        seen.add(await read());
        reads++;
      }
    })();
    try {
      for (let i = 0; i < 3; i++) await exportMonth({ ...deps(), pageSize: 100 }, M);
    } finally {
      exporting = false;
      await reader;
    }
    expect(reads).toBeGreaterThan(3);
    expect([...seen]).toEqual([whole]);
  });
});

describe('npm run export', () => {
  const cli = (args: string[], env: Record<string, string>) =>
    spawnSync('npx', ['tsx', 'scripts/export.ts', ...args], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 120_000,
    });

  it("exports a month past the read models' retention, equal to reconcile", async () => {
    const lake = path.join(config().EXPORT_DIR, 'cli');
    // 24 months: the API refuses 2019's reports as past retention; the lake takes them.
    const r = cli(['--from', M, '--to', NEXT], {
      EXPORT_DIR: lake,
      READ_MODEL_RETENTION_MONTHS: '24',
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`${M}: order_lines 1005`);
    const previous = dir;
    dir = lake;
    try {
      await expectLakeEqualsEventStore([M, NEXT]);
    } finally {
      dir = previous;
    }
  });

  it('refuses a month that has not begun, exit 2 with a one-line reason', () => {
    const r = cli(['--month', '9999-12'], {});
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(
      /^9999-12 has not begun \(the current month in UTC is \d{4}-\d{2}\): nothing to export yet$/,
    );
    expect(r.stderr).toContain('usage: npm run export -- --month YYYY-MM');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
