import type { Client as EsClient } from '@elastic/elasticsearch';
import type pg from 'pg';
import { recordReconciliation } from '../eventstore';
import {
  computeMonthlyReport,
  InexactSumError,
  isMonthRolledUp,
  type MonthlyReportNumbers,
  ordersAlias,
  REPORT_VIEWS,
  type ReportSlot,
  type ReportView,
  readRollup,
  rolledUpSlots,
  slotsWithOrders,
} from './elasticsearch';
import type { RedisClient } from './redis';
import { readCachedReport } from './redis';

export interface ReconcileDeps {
  pool: pg.Pool;
  es: EsClient;
  redis: RedisClient;
  esPrefix: string;
  redisPrefix: string;
  timeZone: string;
}

export interface Difference {
  slot: string;
  view: ReportView;
  source: 'rollup' | 'live' | 'cache';
  what: string;
  expected: string;
  actual: string;
}

export interface ReconcileResult {
  month: string;
  /** Whether the month has been rolled up (its rollups are then checked slot by slot). */
  rolledUp: boolean;
  /** Report slots of the month; each is checked in both views. */
  slots: number;
  checked: { rollup: number; live: number; cache: number };
  differences: Difference[];
  /** What is as designed but worth knowing: a slot the rollup refuses, and why. */
  notes: string[];
}

type Numbers = Pick<MonthlyReportNumbers, 'totals' | 'products'>;

interface ExactProduct {
  productId: string;
  orderCount: bigint;
  totalQuantity: bigint;
  totalSalesMinor: bigint;
  avgUnitPriceMinor: bigint;
}

/** A report's numbers from the event store, in exact integers whatever their size. */
export interface ExactNumbers {
  totals: { orderCount: bigint; totalQuantity: bigint; totalSalesMinor: bigint };
  products: ExactProduct[];
}

/** floor(a / b) for any signs (BigInt division truncates toward zero). */
function floorDiv(a: bigint, b: bigint): bigint {
  const [n, d] = b < 0n ? [-a, -b] : [a, b];
  const q = n / d;
  return n % d !== 0n && n < 0n ? q - 1n : q;
}

/**
 * round(sales / quantity) as the read model's Math.round does it (halves toward +∞),
 * exactly; the booked view's net numbers may be negative.
 */
function exactAverage(sales: bigint, quantity: bigint): bigint {
  return quantity === 0n ? 0n : floorDiv(2n * sales + quantity, 2n * quantity);
}

const slotKey = (s: { currency: string; region: string | null }) =>
  `${s.currency}/${s.region ?? '*'}`;

const inMonth = (field: string) =>
  `to_char((data->>'${field}')::timestamptz at time zone $2, 'YYYY-MM') = $1`;

/**
 * The orders a view counts in month $1 (zone $2), each with its sign: restated, orders
 * completed in the month and not refunded since; booked, completions of the month (+1)
 * and refunds of the month (-1), an order completed and refunded in it being both.
 * With `cut`, only events of transactions below $3 (an export's cut) count.
 */
function countedOrders(view: ReportView, cut: boolean): string {
  const below = (alias: string) => (cut ? ` and ${alias}.transaction_id < $3::xid8` : '');
  const lines =
    view === 'restated'
      ? `select stream_id, 1 as sign from events c
         where event_type = 'OrderCompleted' and ${inMonth('completedAt')}${below('c')}
           and not exists (select 1 from events r
                           where r.event_type = 'OrderRefunded' and r.stream_id = c.stream_id${below('r')})`
      : `select stream_id, 1 as sign from events c
         where event_type = 'OrderCompleted' and ${inMonth('completedAt')}${below('c')}
         union all
         select stream_id, -1 as sign from events r
         where event_type = 'OrderRefunded' and ${inMonth('refundedAt')}${below('r')}`;
  return `
    with lines as (${lines})
    select p.stream_id, p.data, l.sign from events p join lines l using (stream_id)
    where p.event_type = 'OrderPlaced'${below('p')}`;
}

/**
 * The month's reports in one view, recomputed from the event store alone with SQL over
 * the events (see countedOrders), summed as SQL numerics so no size rounds.
 * Reads schema version 1 of the events; a new version needs its upcast here too.
 */
export async function reportsFromEventStore(
  pool: pg.Pool,
  month: string,
  timeZone: string,
  view: ReportView = 'restated',
  /** An export's cut (xid8): only events of transactions below it (absent: every event). */
  horizon?: string,
): Promise<Map<string, ExactNumbers>> {
  const counted = countedOrders(view, horizon !== undefined);
  const params = horizon === undefined ? [month, timeZone] : [month, timeZone, horizon];
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
              (count(distinct o.stream_id) filter (where o.sign > 0)
                - count(distinct o.stream_id) filter (where o.sign < 0))::text as orders,
              sum(o.sign * (i->>'quantity')::numeric)::text as qty,
              sum(o.sign * (i->>'lineTotalMinor')::numeric)::text as sales
       from o cross join lateral jsonb_array_elements(o.data->'items') i group by 1, 2, 3`,
      params,
    ),
    pool.query<{ currency: string; region: string; orders: string; qty: string; sales: string }>(
      `with o as (${counted})
       select data->>'currency' as currency, data->>'region' as region, sum(sign)::text as orders,
              sum(sign * (data->>'totalQuantity')::numeric)::text as qty,
              sum(sign * (data->>'totalMinor')::numeric)::text as sales
       from o group by 1, 2`,
      params,
    ),
  ]);
  const result = new Map<string, ExactNumbers>();
  const slotOf = (currency: string, region: string | null): ExactNumbers => {
    const key = slotKey({ currency, region });
    let n = result.get(key);
    if (!n) {
      n = { totals: { orderCount: 0n, totalQuantity: 0n, totalSalesMinor: 0n }, products: [] };
      result.set(key, n);
    }
    return n;
  };
  // An order has one region, so the all-regions slot is the exact sum of the regions.
  for (const row of totals.rows) {
    for (const region of [row.region, null]) {
      const t = slotOf(row.currency, region).totals;
      t.orderCount += BigInt(row.orders);
      t.totalQuantity += BigInt(row.qty);
      t.totalSalesMinor += BigInt(row.sales);
    }
  }
  for (const row of products.rows) {
    for (const region of [row.region, null]) {
      const list = slotOf(row.currency, region).products;
      const existing = list.find((p) => p.productId === row.product_id);
      const p = existing ?? {
        productId: row.product_id,
        orderCount: 0n,
        totalQuantity: 0n,
        totalSalesMinor: 0n,
        avgUnitPriceMinor: 0n,
      };
      p.orderCount += BigInt(row.orders);
      p.totalQuantity += BigInt(row.qty);
      p.totalSalesMinor += BigInt(row.sales);
      p.avgUnitPriceMinor = exactAverage(p.totalSalesMinor, p.totalQuantity);
      if (!existing) list.push(p);
    }
  }
  for (const n of result.values()) {
    n.products.sort((a, b) =>
      a.totalSalesMinor !== b.totalSalesMinor
        ? a.totalSalesMinor < b.totalSalesMinor
          ? 1
          : -1
        : a.productId < b.productId
          ? -1
          : 1,
    );
  }
  return result;
}

/** Numbers as exact decimal strings, so both sides compare digit for digit. */
function canonical(n: Numbers | ExactNumbers) {
  const text = (v: number | bigint) =>
    typeof v === 'bigint' || Number.isSafeInteger(v) ? String(v) : `inexact ${v}`;
  return {
    totals: {
      orderCount: text(n.totals.orderCount),
      totalQuantity: text(n.totals.totalQuantity),
      totalSalesMinor: text(n.totals.totalSalesMinor),
    },
    products: n.products.map((p) => ({
      productId: p.productId,
      orderCount: text(p.orderCount),
      totalQuantity: text(p.totalQuantity),
      totalSalesMinor: text(p.totalSalesMinor),
      avgUnitPriceMinor: text(p.avgUnitPriceMinor),
    })),
  };
}

function compare(
  slot: string,
  view: ReportView,
  source: Difference['source'],
  exact: ExactNumbers,
  read: Numbers,
): Difference[] {
  const expected = canonical(exact);
  const actual = canonical(read);
  const diffs: Difference[] = [];
  const add = (what: string, e: unknown, a: unknown) => {
    if (JSON.stringify(e) !== JSON.stringify(a)) {
      diffs.push({
        slot,
        view,
        source,
        what,
        expected: JSON.stringify(e),
        actual: JSON.stringify(a),
      });
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

const EMPTY: ExactNumbers = {
  totals: { orderCount: 0n, totalQuantity: 0n, totalSalesMinor: 0n },
  products: [],
};

/**
 * Compares the month's rollup, live aggregation and cached reports with the event store,
 * in both views, and records how many differences it found for the month.
 */
export async function reconcileMonth(deps: ReconcileDeps, month: string): Promise<ReconcileResult> {
  const truths = new Map<ReportView, Map<string, ExactNumbers>>();
  for (const view of REPORT_VIEWS)
    truths.set(view, await reportsFromEventStore(deps.pool, month, deps.timeZone, view));
  const alias = ordersAlias(deps.esPrefix);
  const slots = new Map<string, ReportSlot>();
  for (const truth of truths.values()) {
    for (const key of truth.keys()) {
      const [currency = '', region = '*'] = key.split('/');
      slots.set(key, { month, currency, region: region === '*' ? null : region });
    }
  }
  for (const s of [
    ...(await slotsWithOrders(deps.es, alias, month)),
    ...(await rolledUpSlots(deps.es, deps.esPrefix, month)),
  ]) {
    slots.set(slotKey(s), s);
  }
  const rolledUp = await isMonthRolledUp(deps.es, deps.esPrefix, month);
  const result: ReconcileResult = {
    month,
    rolledUp,
    slots: slots.size,
    checked: { rollup: 0, live: 0, cache: 0 },
    differences: [],
    notes: [],
  };
  for (const [key, slot] of slots) {
    for (const view of REPORT_VIEWS) {
      const expected = truths.get(view)?.get(key) ?? EMPTY;
      await reconcileSlot(deps, { ...slot, view }, key, expected, result);
    }
  }
  // Kept per month whichever way it ran: what orders_reconciliation_last_differences shows.
  await recordReconciliation(deps.pool, month, result.differences.length);
  return result;
}

async function reconcileSlot(
  deps: ReconcileDeps,
  slot: ReportSlot & { view: ReportView },
  key: string,
  expected: ExactNumbers,
  result: ReconcileResult,
): Promise<void> {
  const { view } = slot;
  result.checked.live++;
  let inexact = false;
  try {
    const live = await computeMonthlyReport(deps.es, ordersAlias(deps.esPrefix), slot);
    result.differences.push(...compare(key, view, 'live', expected, live));
  } catch (err) {
    if (!(err instanceof InexactSumError)) throw err;
    inexact = true;
    // The read model cannot add this month exactly: that is a difference to report.
    result.differences.push({
      slot: key,
      view,
      source: 'live',
      what: 'totals',
      expected: JSON.stringify(canonical(expected).totals),
      actual: err.message,
    });
  }
  const rollup = await readRollup(deps.es, deps.esPrefix, slot);
  if (rollup) {
    result.checked.rollup++;
    result.differences.push(...compare(key, view, 'rollup', expected, rollup));
  } else if (result.rolledUp && inexact) {
    // The rollup refuses such a slot rather than store rounded sums (or hold up the month).
    result.notes.push(
      `${key} ${view}: not rolled up, its sums pass 2^53 minor units (beyond what the read model adds exactly): the rollup refuses it (orders_rollup_refused_slots), its reports answer 422, and its live totals difference carries the exact ones`,
    );
  } else if (result.rolledUp && expected.products.length > 0) {
    // A rolled-up month serves every slot from its rollup: one with sales but none is
    // wrong (also a month rolled up before the booked view existed: roll it up again).
    result.differences.push({
      slot: key,
      view,
      source: 'rollup',
      what: 'rollup missing',
      expected: JSON.stringify(canonical(expected).totals),
      actual: `no ${view} rollup for this slot of a rolled-up month`,
    });
  }
  const cached = await readCachedReport<Numbers>(deps.redis, deps.redisPrefix, slot).catch(
    () => null,
  );
  if (cached?.report) {
    result.checked.cache++;
    result.differences.push(...compare(key, view, 'cache', expected, cached.report));
  }
}
