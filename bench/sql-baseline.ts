// The traditional way to answer the monthly report, for comparison: a JOIN over normalized
// tables (see loadBaseline in load-orders.ts), and a materialized view of the same numbers.
import { performance } from 'node:perf_hooks';
import type pg from 'pg';

export interface Slot {
  month: string;
  currency: string;
}

export interface ProductRow {
  productId: string;
  orderCount: number;
  totalQuantity: number;
  totalSalesMinor: number;
}

/** [start, end) of a 'YYYY-MM' month in UTC (the report time zone of the benchmark). */
export function monthRange(month: string): [string, string] {
  const [year, m] = month.split('-').map(Number);
  if (!year || !m) throw new RangeError(`not a month: ${month}`);
  const from = new Date(Date.UTC(year, m - 1, 1)).toISOString();
  const to = new Date(Date.UTC(year, m, 1)).toISOString();
  return [from, to];
}

const JOIN_SQL = `
  select i.product_id, count(distinct o.order_id) as order_count, sum(i.quantity) as total_quantity,
         sum(i.quantity * i.unit_price_minor) as total_sales_minor
  from orders o join order_items i using (order_id)
  where o.status = 'completed' and o.currency = $1 and o.completed_at >= $2 and o.completed_at < $3
  group by i.product_id`;

const VIEW_SQL = `
  select product_id, order_count, total_quantity, total_sales_minor
  from monthly_product_sales where month = $1 and currency = $2`;

interface Row {
  product_id: string;
  order_count: string;
  total_quantity: string;
  total_sales_minor: string;
}

const toProduct = (r: Row): ProductRow => ({
  productId: r.product_id,
  orderCount: Number(r.order_count),
  totalQuantity: Number(r.total_quantity),
  totalSalesMinor: Number(r.total_sales_minor),
});

/** The classic report query, as a prepared statement. */
export async function joinReport(pool: pg.Pool, slot: Slot): Promise<ProductRow[]> {
  const [from, to] = monthRange(slot.month);
  const { rows } = await pool.query<Row>({
    name: 'bench-report-join',
    text: JOIN_SQL,
    values: [slot.currency, from, to],
  });
  return rows.map(toProduct);
}

/** The same numbers read from the materialized view. */
export async function viewReport(pool: pg.Pool, slot: Slot): Promise<ProductRow[]> {
  const { rows } = await pool.query<Row>({
    name: 'bench-report-view',
    text: VIEW_SQL,
    values: [slot.month, slot.currency],
  });
  return rows.map(toProduct);
}

export interface ViewBuild {
  createMs: number;
  rows: number;
  refreshMs: number;
  refreshConcurrentlyMs: number;
}

/**
 * The monthly report per (month, currency, product) as a materialized view, with the unique
 * index REFRESH ... CONCURRENTLY needs; times its creation and both kinds of refresh.
 */
export async function buildMonthlyView(pool: pg.Pool): Promise<ViewBuild> {
  await pool.query('drop materialized view if exists monthly_product_sales');
  const c = performance.now();
  await pool.query(`
    create materialized view monthly_product_sales as
    select to_char(o.completed_at at time zone 'UTC', 'YYYY-MM') as month, o.currency,
           i.product_id, count(distinct o.order_id) as order_count,
           sum(i.quantity) as total_quantity, sum(i.quantity * i.unit_price_minor) as total_sales_minor
    from orders o join order_items i using (order_id)
    where o.status = 'completed'
    group by 1, 2, 3`);
  await pool.query(
    'create unique index monthly_product_sales_slot on monthly_product_sales (month, currency, product_id)',
  );
  await pool.query('analyze monthly_product_sales');
  const createMs = performance.now() - c;
  const r = performance.now();
  await pool.query('refresh materialized view monthly_product_sales');
  const refreshMs = performance.now() - r;
  const rc = performance.now();
  await pool.query('refresh materialized view concurrently monthly_product_sales');
  const refreshConcurrentlyMs = performance.now() - rc;
  await pool.query('analyze monthly_product_sales');
  const { rows } = await pool.query<{ n: string }>(
    'select count(*) as n from monthly_product_sales',
  );
  return { createMs, rows: Number(rows[0]?.n ?? 0), refreshMs, refreshConcurrentlyMs };
}

/** EXPLAIN ANALYZE of the JOIN for one slot, for the record. */
export async function explainJoin(pool: pg.Pool, slot: Slot): Promise<string[]> {
  const [from, to] = monthRange(slot.month);
  const { rows } = await pool.query<{ 'QUERY PLAN': string }>(
    `explain (analyze, buffers) ${JOIN_SQL}`,
    [slot.currency, from, to],
  );
  return rows.map((r) => r['QUERY PLAN']);
}
