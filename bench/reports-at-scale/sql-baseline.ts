// The traditional way to answer the monthly report, for comparison: the same orders in
// normalized `orders` / `order_items` tables, the JOIN … GROUP BY product_id over them, and a
// materialized view of the same numbers.
import type pg from 'pg';
import { chunks, generateOrders } from './generated-orders';

export interface Slot {
  month: string;
  currency: string;
  region: string | null;
}

export interface ProductRow {
  productId: string;
  orderCount: number;
  totalQuantity: number;
  totalSalesMinor: number;
}

const JOIN_SQL = `
  select i.product_id, count(distinct o.order_id) as order_count, sum(i.quantity) as total_quantity,
         sum(i.quantity * i.unit_price_minor) as total_sales_minor
  from orders o join order_items i using (order_id)
  where o.status = 'completed' and o.currency = $1
    and o.completed_at >= $2 and o.completed_at < $3
  group by i.product_id`;

const VIEW_SQL = `
  select product_id, order_count, total_quantity, total_sales_minor
  from monthly_product_sales where month = $1 and currency = $2`;

type Row = Record<'product_id' | 'order_count' | 'total_quantity' | 'total_sales_minor', string>;
const toProduct = (r: Row): ProductRow => ({
  productId: r.product_id,
  orderCount: Number(r.order_count),
  totalQuantity: Number(r.total_quantity),
  totalSalesMinor: Number(r.total_sales_minor),
});

/** The first instant of 'YYYY-MM' + `add` months, in UTC (the benchmark's report zone). */
function monthStart(month: string, add = 0): string {
  const [year = Number.NaN, m = Number.NaN] = month.split('-').map(Number);
  return new Date(Date.UTC(year, m - 1 + add, 1)).toISOString();
}

/** The classic report query, as a prepared statement. */
export async function joinReport(pool: pg.Pool, slot: Slot): Promise<ProductRow[]> {
  const values = [slot.currency, monthStart(slot.month), monthStart(slot.month, 1)];
  const { rows } = await pool.query<Row>({ name: 'bench-join', text: JOIN_SQL, values });
  return rows.map(toProduct);
}

export async function viewReport(pool: pg.Pool, slot: Slot): Promise<ProductRow[]> {
  const values = [slot.month, slot.currency];
  const { rows } = await pool.query<Row>({ name: 'bench-view', text: VIEW_SQL, values });
  return rows.map(toProduct);
}

/** Loads the tables (multi-row inserts), then indexes and analyzes them; times each. */
export async function loadBaseline(pool: pg.Pool, orders: number, seed: number) {
  await pool.query('drop materialized view if exists monthly_product_sales');
  await pool.query('drop table if exists order_items, orders');
  await pool.query(`create table orders (order_id text primary key, customer_id text not null,
    region text not null, currency text not null, status text not null,
    completed_at timestamptz, total_minor bigint not null)`);
  await pool.query(`create table order_items (order_id text not null, product_id text not null,
    quantity integer not null, unit_price_minor bigint not null)`);
  let items = 0;
  const t0 = performance.now();
  for (const chunk of chunks(generateOrders(orders, seed), 10_000)) {
    const lines = chunk.flatMap((o) => o.items.map((i) => ({ orderId: o.orderId, ...i })));
    items += lines.length;
    await pool.query(
      `insert into orders select * from unnest($1::text[], $2::text[], $3::text[], $4::text[],
         $5::text[], $6::timestamptz[], $7::bigint[])`,
      [
        chunk.map((o) => o.orderId),
        chunk.map((o) => o.customerId),
        chunk.map((o) => o.region),
        chunk.map((o) => o.currency),
        chunk.map(() => 'completed'),
        chunk.map((o) => o.completedAt),
        chunk.map((o) => o.items.reduce((sum, i) => sum + i.quantity * i.unitPriceMinor, 0)),
      ],
    );
    await pool.query(
      'insert into order_items select * from unnest($1::text[], $2::text[], $3::integer[], $4::bigint[])',
      [
        lines.map((l) => l.orderId),
        lines.map((l) => l.productId),
        lines.map((l) => l.quantity),
        lines.map((l) => l.unitPriceMinor),
      ],
    );
  }
  const insertMs = performance.now() - t0;
  const i0 = performance.now();
  await pool.query(
    "create index orders_completed_by_currency on orders (currency, completed_at) where status = 'completed'",
  );
  await pool.query('create index order_items_by_order on order_items (order_id)');
  const indexMs = performance.now() - i0;
  await pool.query('vacuum (analyze) orders, order_items');
  return { orders, items, insertMs, indexMs, analyzeMs: performance.now() - i0 - indexMs };
}

/**
 * The report per (month, currency, product) as a materialized view, with the unique index
 * REFRESH … CONCURRENTLY needs; times its creation and both kinds of refresh.
 */
export async function buildMonthlyView(pool: pg.Pool) {
  const timed = async (sql: string) => {
    const t = performance.now();
    await pool.query(sql);
    return performance.now() - t;
  };
  const createMs = await timed(`create materialized view monthly_product_sales as
    select to_char(o.completed_at at time zone 'UTC', 'YYYY-MM') as month, o.currency,
           i.product_id, count(distinct o.order_id) as order_count, sum(i.quantity) as total_quantity,
           sum(i.quantity * i.unit_price_minor) as total_sales_minor
    from orders o join order_items i using (order_id) where o.status = 'completed'
    group by 1, 2, 3`);
  await pool.query(
    'create unique index monthly_product_sales_slot on monthly_product_sales (month, currency, product_id)',
  );
  const refreshMs = await timed('refresh materialized view monthly_product_sales');
  const refreshConcurrentlyMs = await timed(
    'refresh materialized view concurrently monthly_product_sales',
  );
  await pool.query('analyze monthly_product_sales');
  return { createMs, refreshMs, refreshConcurrentlyMs };
}
export type ViewBuild = Awaited<ReturnType<typeof buildMonthlyView>>;
