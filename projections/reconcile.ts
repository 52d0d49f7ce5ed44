import type { Client as EsClient } from '@elastic/elasticsearch';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { ordersAlias } from './elasticsearch/names';
import { computeMonthlyReport, type MonthlyReportNumbers } from './elasticsearch/reports';
import {
  type ReportSlot,
  readRollup,
  rolledUpSlots,
  slotsWithOrders,
} from './elasticsearch/rollups';
import { readCachedReport } from './redis/report-cache';

export interface ReconcileDeps {
  pool: pg.Pool;
  es: EsClient;
  redis: Redis;
  esPrefix: string;
  redisPrefix: string;
  timeZone: string;
}

export interface Difference {
  slot: string;
  source: 'rollup' | 'live' | 'cache';
  what: string;
  expected: string;
  actual: string;
}

export interface ReconcileResult {
  month: string;
  slots: number;
  checked: { rollup: number; live: number; cache: number };
  differences: Difference[];
}

type Numbers = Pick<MonthlyReportNumbers, 'totals' | 'products'>;

const slotKey = (s: { currency: string; region: string | null }) =>
  `${s.currency}/${s.region ?? '*'}`;

/**
 * The month's reports recomputed from the event store alone, with SQL over the events:
 * orders completed in the month (report time zone), without those refunded since.
 * Reads schema version 1 of the events; a new version needs its upcast here too.
 */
export async function reportsFromEventStore(
  pool: pg.Pool,
  month: string,
  timeZone: string,
): Promise<Map<string, Numbers>> {
  const counted = `
    with completed as (
      select stream_id from events
      where event_type = 'OrderCompleted'
        and to_char((data->>'completedAt')::timestamptz at time zone $2, 'YYYY-MM') = $1
    ), refunded as (select stream_id from events where event_type = 'OrderRefunded')
    select p.stream_id, p.data from events p join completed c using (stream_id)
    where p.event_type = 'OrderPlaced' and not exists (select 1 from refunded r where r.stream_id = p.stream_id)`;
  const [products, totals] = await Promise.all([
    pool.query<{
      currency: string;
      region: string;
      product_id: string;
      orders: string;
      qty: string;
      sales: string;
    }>(
      `with o as (${counted})
       select o.data->>'currency' as currency, o.data->>'region' as region, i->>'productId' as product_id,
              count(distinct o.stream_id)::text as orders, sum((i->>'quantity')::bigint)::text as qty,
              sum((i->>'lineTotalMinor')::bigint)::text as sales
       from o cross join lateral jsonb_array_elements(o.data->'items') i group by 1, 2, 3`,
      [month, timeZone],
    ),
    pool.query<{ currency: string; region: string; orders: string; qty: string; sales: string }>(
      `with o as (${counted})
       select data->>'currency' as currency, data->>'region' as region, count(*)::text as orders,
              sum((data->>'totalQuantity')::bigint)::text as qty, sum((data->>'totalMinor')::bigint)::text as sales
       from o group by 1, 2`,
      [month, timeZone],
    ),
  ]);
  const result = new Map<string, Numbers>();
  const slotOf = (currency: string, region: string | null): Numbers => {
    const key = slotKey({ currency, region });
    let n = result.get(key);
    if (!n) {
      n = { totals: { orderCount: 0, totalQuantity: 0, totalSalesMinor: 0 }, products: [] };
      result.set(key, n);
    }
    return n;
  };
  // An order has one region, so the all-regions slot is the exact sum of the regions.
  for (const row of totals.rows) {
    for (const region of [row.region, null]) {
      const t = slotOf(row.currency, region).totals;
      t.orderCount += Number(row.orders);
      t.totalQuantity += Number(row.qty);
      t.totalSalesMinor += Number(row.sales);
    }
  }
  for (const row of products.rows) {
    for (const region of [row.region, null]) {
      const list = slotOf(row.currency, region).products;
      const existing = list.find((p) => p.productId === row.product_id);
      const p = existing ?? {
        productId: row.product_id,
        orderCount: 0,
        totalQuantity: 0,
        totalSalesMinor: 0,
        avgUnitPriceMinor: 0,
      };
      p.orderCount += Number(row.orders);
      p.totalQuantity += Number(row.qty);
      p.totalSalesMinor += Number(row.sales);
      p.avgUnitPriceMinor =
        p.totalQuantity === 0 ? 0 : Math.round(p.totalSalesMinor / p.totalQuantity);
      if (!existing) list.push(p);
    }
  }
  for (const n of result.values()) {
    n.products.sort(
      (a, b) => b.totalSalesMinor - a.totalSalesMinor || (a.productId < b.productId ? -1 : 1),
    );
  }
  return result;
}

function compare(
  slot: string,
  source: Difference['source'],
  expected: Numbers,
  actual: Numbers,
): Difference[] {
  const diffs: Difference[] = [];
  const add = (what: string, e: unknown, a: unknown) => {
    if (JSON.stringify(e) !== JSON.stringify(a)) {
      diffs.push({ slot, source, what, expected: JSON.stringify(e), actual: JSON.stringify(a) });
    }
  };
  add('totals', expected.totals, actual.totals);
  const byId = new Map(actual.products.map((p) => [p.productId, p]));
  for (const p of expected.products)
    add(`product ${p.productId}`, p, byId.get(p.productId) ?? null);
  const known = new Set(expected.products.map((p) => p.productId));
  for (const p of actual.products)
    if (!known.has(p.productId)) add(`product ${p.productId}`, null, p);
  if (diffs.length === 0)
    add(
      'product order',
      expected.products.map((p) => p.productId),
      actual.products.map((p) => p.productId),
    );
  return diffs;
}

const EMPTY: Numbers = {
  totals: { orderCount: 0, totalQuantity: 0, totalSalesMinor: 0 },
  products: [],
};

/** Compares the month's rollup, live aggregation and cached reports with the event store. */
export async function reconcileMonth(deps: ReconcileDeps, month: string): Promise<ReconcileResult> {
  const truth = await reportsFromEventStore(deps.pool, month, deps.timeZone);
  const alias = ordersAlias(deps.esPrefix);
  const slots = new Map<string, ReportSlot>();
  for (const key of truth.keys()) {
    const [currency = '', region = '*'] = key.split('/');
    slots.set(key, { month, currency, region: region === '*' ? null : region });
  }
  for (const s of [
    ...(await slotsWithOrders(deps.es, alias, month)),
    ...(await rolledUpSlots(deps.es, deps.esPrefix, month)),
  ]) {
    slots.set(slotKey(s), s);
  }
  const result: ReconcileResult = {
    month,
    slots: slots.size,
    checked: { rollup: 0, live: 0, cache: 0 },
    differences: [],
  };
  for (const [key, slot] of slots) {
    const expected = truth.get(key) ?? EMPTY;
    const live = await computeMonthlyReport(deps.es, alias, slot);
    result.checked.live++;
    result.differences.push(...compare(key, 'live', expected, live));
    const rollup = await readRollup(deps.es, deps.esPrefix, slot);
    if (rollup) {
      result.checked.rollup++;
      result.differences.push(...compare(key, 'rollup', expected, rollup));
    }
    const cached = await readCachedReport<Numbers>(deps.redis, deps.redisPrefix, slot).catch(
      () => null,
    );
    if (cached?.report) {
      result.checked.cache++;
      result.differences.push(...compare(key, 'cache', expected, cached.report));
    }
  }
  return result;
}
