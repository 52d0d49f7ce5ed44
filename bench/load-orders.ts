// Deterministic bulk loader for benchmarks: N completed orders of 2025, written to the event
// store through `EventStore.appendBatch` (and, for the SQL baseline, to normalized tables).
// Runnable on its own: `npx tsx bench/load-orders.ts [--orders N] [--seed S] [--batch B]`.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { payloadHash } from '../api/command-hash';
import {
  type CompleteOrder,
  CURRENT_SCHEMA_VERSION,
  decide,
  evolve,
  initialState,
  type OrderEvent,
  type OrderItemInput,
  type OrderState,
  type PlaceOrder,
} from '../domain';
import { orderStreamId } from '../domain/streams';
import { type BatchAppend, EventStore } from '../eventstore/event-store';
import { migrate } from '../eventstore/migrate';
import { cpuSnapshot, cpuUsage } from './bench-stats';

export const BENCH_DATABASE = 'orders_bench';
const ADMIN_URL = 'postgresql://orders:orders@127.0.0.1:5432/orders';
export const BENCH_DATABASE_URL = `postgresql://orders:orders@127.0.0.1:5432/${BENCH_DATABASE}`;

export const PRODUCT_COUNT = 1_000;
export const CURRENCIES = ['EUR', 'USD', 'GBP'] as const;
export const REGIONS = ['eu', 'na', 'apac'] as const;
const CUSTOMER_COUNT = 200_000;
const YEAR_START = Date.UTC(2025, 0, 1);
const YEAR_END = Date.UTC(2026, 0, 1);
const MAX_PLACE_TO_COMPLETE_MS = 3 * 24 * 3600 * 1000;
const ACTOR = 'admin:bench-loader';

/** mulberry32: a small, fast, seedable PRNG (uniform in [0, 1)). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uint32(rand: () => number): number {
  return Math.floor(rand() * 4294967296) >>> 0;
}

/** A version-4-shaped UUID from the PRNG, so command (and order) ids are reproducible. */
function uuidFrom(rand: () => number): string {
  const hex = [uint32(rand), uint32(rand), uint32(rand), uint32(rand)]
    .map((n) => n.toString(16).padStart(8, '0'))
    .join('');
  const variant = ((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export const productId = (p: number): string => `sku-${String(p + 1).padStart(4, '0')}`;

/** Catalogue prices in minor units, per product and currency (integers). */
function priceList(seed: number): Record<string, number>[] {
  const rand = mulberry32(seed ^ 0x5eed_1234);
  const rate: Record<string, number> = { EUR: 1, USD: 1.08, GBP: 0.86 };
  return Array.from({ length: PRODUCT_COUNT }, () => {
    const base = 199 + Math.floor(rand() * 49_800);
    return Object.fromEntries(CURRENCIES.map((c) => [c, Math.round(base * (rate[c] ?? 1))]));
  });
}

export interface GeneratedOrder {
  orderId: string;
  customerId: string;
  region: string;
  currency: string;
  items: OrderItemInput[];
  placedAt: string;
  completedAt: string;
  placeCommandId: string;
  completeCommandId: string;
  correlationId: string;
}

/**
 * `count` completed orders, the same ones for the same seed: completions spread evenly over
 * 2025 (in order), each placed up to 3 days earlier (not before 2025), 1-5 distinct products
 * with a skewed popularity, quantities 1-10 (mostly small), catalogue prices.
 */
export function* generateOrders(count: number, seed = 2025): Generator<GeneratedOrder> {
  const rand = mulberry32(seed);
  const prices = priceList(seed);
  const span = YEAR_END - YEAR_START;
  for (let i = 0; i < count; i++) {
    const completed = YEAR_START + Math.floor(((i + rand()) * span) / count);
    const placed = Math.max(
      YEAR_START,
      completed - 60_000 - Math.floor(rand() * MAX_PLACE_TO_COMPLETE_MS),
    );
    const currency = CURRENCIES[Math.floor(rand() * CURRENCIES.length)] ?? 'EUR';
    const region = REGIONS[Math.floor(rand() * REGIONS.length)] ?? 'eu';
    const customerId = `c-${Math.floor(rand() * CUSTOMER_COUNT)}`;
    const lines = 1 + Math.floor(rand() * 5);
    const chosen = new Set<number>();
    while (chosen.size < lines) chosen.add(Math.floor(PRODUCT_COUNT * rand() ** 1.5));
    const items = [...chosen].map((p) => ({
      productId: productId(p),
      quantity: 1 + Math.floor(10 * rand() ** 3),
      unitPriceMinor: prices[p]?.[currency] ?? 0,
    }));
    const placeCommandId = uuidFrom(rand);
    yield {
      // As the API names it: derived from the place command's id.
      orderId: `o-${placeCommandId}`,
      customerId,
      region,
      currency,
      items,
      placedAt: new Date(placed).toISOString(),
      completedAt: new Date(completed).toISOString(),
      placeCommandId,
      completeCommandId: uuidFrom(rand),
      correlationId: uuidFrom(rand),
    };
  }
}

/** The next `count` items of an iterator (fewer at its end). */
export function take<T>(items: Iterator<T>, count: number): T[] {
  const taken: T[] = [];
  while (taken.length < count) {
    const next = items.next();
    if (next.done) break;
    taken.push(next.value);
  }
  return taken;
}

/** Groups a generator's output in arrays of `size`. */
export function* chunks<T>(items: Iterable<T>, size: number): Generator<T[]> {
  let chunk: T[] = [];
  for (const item of items) {
    chunk.push(item);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

function decided(command: PlaceOrder | CompleteOrder, state: OrderState): OrderEvent[] {
  const decision = decide(command, state);
  if (!decision.ok) throw new Error(`generated ${command.type} refused: ${decision.error.message}`);
  return decision.events;
}

/**
 * The two commands of an order as the command workflow would append them: events from the
 * domain's `decide`, folded with `evolve`, payload hashes as the API computes them.
 */
export function orderAppends(order: GeneratedOrder): [BatchAppend, BatchAppend] {
  const place: PlaceOrder = {
    type: 'PlaceOrder',
    orderId: order.orderId,
    customerId: order.customerId,
    region: order.region,
    currency: order.currency,
    items: order.items,
    at: order.placedAt,
  };
  const complete: CompleteOrder = {
    type: 'CompleteOrder',
    orderId: order.orderId,
    at: order.completedAt,
  };
  const placed = decided(place, initialState);
  const afterPlace = placed.reduce(evolve, initialState);
  const completed = decided(complete, afterPlace);
  completed.reduce(evolve, afterPlace);
  const streamId = orderStreamId(order.orderId);
  const toNew = (events: OrderEvent[]) =>
    events.map((e) => ({
      type: e.type,
      schemaVersion: CURRENT_SCHEMA_VERSION[e.type],
      data: e.data,
    }));
  const metadata = (commandId: string, occurredAt: string) => ({
    correlationId: order.correlationId,
    causationId: commandId,
    actor: ACTOR,
    occurredAt,
  });
  return [
    {
      streamId,
      expectedVersion: 0,
      events: toNew(placed),
      commandId: order.placeCommandId,
      commandType: place.type,
      payloadHash: payloadHash('orders.place', {
        customerId: order.customerId,
        region: order.region,
        currency: order.currency,
        items: order.items,
        at: order.placedAt,
      }),
      metadata: metadata(order.placeCommandId, order.placedAt),
    },
    {
      streamId,
      expectedVersion: placed.length,
      events: toNew(completed),
      commandId: order.completeCommandId,
      commandType: complete.type,
      payloadHash: payloadHash('orders.complete', {
        orderId: order.orderId,
        at: order.completedAt,
      }),
      metadata: metadata(order.completeCommandId, order.completedAt),
    },
  ];
}

/** Creates `orders_bench` if missing (as `orders`, which has CREATEDB) and migrates it. */
export async function prepareBenchDatabase(poolSize = 10): Promise<pg.Pool> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query('select 1 from pg_database where datname = $1', [
      BENCH_DATABASE,
    ]);
    if (rows.length === 0) await admin.query(`create database ${BENCH_DATABASE}`);
  } finally {
    await admin.end();
  }
  const pool = new pg.Pool({
    connectionString: BENCH_DATABASE_URL,
    max: poolSize,
    application_name: 'order-reporting-bench',
  });
  pool.on('error', () => undefined);
  await migrate(pool);
  return pool;
}

export interface LoadOptions {
  orders: number;
  seed?: number;
  /** Orders per appendBatch call (two commands of one event each per order). */
  batchOrders?: number;
  /** appendBatch calls in flight at once. */
  concurrency?: number;
  /**
   * Orders generated ahead, then appended: generating (decide/evolve, payload hashes) and
   * appending alternate, so the append is timed without the generator competing for CPU.
   */
  stageOrders?: number;
  onProgress?: (ordersDone: number, result: LoadResult) => void;
}

export interface LoadResult {
  orders: number;
  events: number;
  commands: number;
  batches: number;
  batchOrders: number;
  concurrency: number;
  wallMs: number;
  /** Building the commands' events with the domain (decide/evolve) and hashing payloads. */
  generateMs: number;
  /** Wall time of the appendBatch stages (the calls of a stage overlap). */
  appendWallMs: number;
  /** Events per second of the appendBatch stages alone: the event store's batch append. */
  appendEventsPerSecond: number;
  /** Events per second end to end, generation included. */
  eventsPerSecond: number;
  truncateMs: number;
  vacuumAnalyzeMs: number;
  /** Average cores used per group during the append stages. */
  appendCpu: Record<string, number>;
  /** CPU microseconds per event appended, per group, during the append stages. */
  appendCpuMicrosPerEvent: Record<string, number>;
}

/** Empties the event store tables of the bench database. */
export async function truncateEventStore(pool: pg.Pool): Promise<void> {
  await pool.query('truncate table events, streams, commands restart identity');
}

/**
 * Truncates the bench event store, then appends `orders` generated orders through
 * `appendBatch`, in stages: generate `stageOrders` orders, append them in batches of
 * `batchOrders` with `concurrency` calls in flight, repeat. Ends with VACUUM ANALYZE
 * (timed apart), as a store in service would have been vacuumed.
 */
export async function loadEventStore(pool: pg.Pool, options: LoadOptions): Promise<LoadResult> {
  const batchOrders = options.batchOrders ?? 2_500;
  const concurrency = options.concurrency ?? 2;
  const stageOrders = Math.max(batchOrders, options.stageOrders ?? 50_000);
  const store = new EventStore(pool);
  const t0 = performance.now();
  await truncateEventStore(pool);
  const result: LoadResult = {
    orders: 0,
    events: 0,
    commands: 0,
    batches: 0,
    batchOrders,
    concurrency,
    wallMs: 0,
    generateMs: 0,
    appendWallMs: 0,
    appendEventsPerSecond: 0,
    eventsPerSecond: 0,
    truncateMs: performance.now() - t0,
    vacuumAnalyzeMs: 0,
    appendCpu: {},
    appendCpuMicrosPerEvent: {},
  };
  const cpuSeconds = new Map<string, number>();
  const start = performance.now();
  const orders = generateOrders(options.orders, options.seed);
  for (;;) {
    const g = performance.now();
    const stage = take(orders, stageOrders);
    if (stage.length === 0) break;
    const batches = [...chunks(stage, batchOrders)].map((b) => b.flatMap(orderAppends));
    result.generateMs += performance.now() - g;

    const cpuBefore = cpuSnapshot();
    const a = performance.now();
    let next = 0;
    const lane = async () => {
      for (let i = next++; i < batches.length; i = next++) {
        const entries = batches[i] ?? [];
        await store.appendBatch(entries);
        result.batches++;
        result.commands += entries.length;
        result.events += entries.reduce((n, e) => n + e.events.length, 0);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    const stageMs = performance.now() - a;
    result.appendWallMs += stageMs;
    for (const [group, cores] of Object.entries(cpuUsage(cpuBefore, cpuSnapshot()))) {
      cpuSeconds.set(group, (cpuSeconds.get(group) ?? 0) + (cores * stageMs) / 1000);
    }
    result.orders += stage.length;
    options.onProgress?.(result.orders, result);
  }
  result.wallMs = performance.now() - start;
  result.appendEventsPerSecond = result.events / (result.appendWallMs / 1000);
  result.eventsPerSecond = result.events / (result.wallMs / 1000);
  for (const [group, seconds] of cpuSeconds) {
    result.appendCpu[group] = Number((seconds / (result.appendWallMs / 1000)).toFixed(2));
    result.appendCpuMicrosPerEvent[group] = Number(((seconds / result.events) * 1e6).toFixed(1));
  }

  const v = performance.now();
  await pool.query('vacuum (analyze) events, streams, commands');
  result.vacuumAnalyzeMs = performance.now() - v;
  return result;
}

export interface BaselineLoadResult {
  orders: number;
  items: number;
  insertMs: number;
  indexMs: number;
  analyzeMs: number;
}

/**
 * The traditional model of the same orders: normalized `orders` and `order_items`, loaded
 * with multi-row inserts (unnest arrays), indexed after the load, then analyzed. Drops what
 * a previous run left (including the materialized view built on them).
 */
export async function loadBaseline(
  pool: pg.Pool,
  options: { orders: number; seed?: number; batchOrders?: number },
): Promise<BaselineLoadResult> {
  await pool.query('drop materialized view if exists monthly_product_sales');
  await pool.query('drop table if exists order_items, orders');
  await pool.query(`create table orders (
      order_id text primary key,
      customer_id text not null,
      region text not null,
      currency text not null,
      status text not null,
      completed_at timestamptz,
      total_minor bigint not null)`);
  await pool.query(`create table order_items (
      order_id text not null,
      product_id text not null,
      quantity integer not null,
      unit_price_minor bigint not null)`);
  let items = 0;
  const t0 = performance.now();
  const batchOrders = options.batchOrders ?? 10_000;
  for (const chunk of chunks(generateOrders(options.orders, options.seed), batchOrders)) {
    const lines = chunk.flatMap((o) => o.items.map((i) => ({ orderId: o.orderId, ...i })));
    items += lines.length;
    await pool.query(
      `insert into orders (order_id, customer_id, region, currency, status, completed_at, total_minor)
       select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                            $6::timestamptz[], $7::bigint[])`,
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
      `insert into order_items (order_id, product_id, quantity, unit_price_minor)
       select * from unnest($1::text[], $2::text[], $3::integer[], $4::bigint[])`,
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
    `create index orders_completed_by_currency on orders (currency, completed_at)
     where status = 'completed'`,
  );
  await pool.query('create index order_items_by_order on order_items (order_id)');
  const indexMs = performance.now() - i0;
  const a0 = performance.now();
  await pool.query('vacuum (analyze) orders, order_items');
  const analyzeMs = performance.now() - a0;
  return { orders: options.orders, items, insertMs, indexMs, analyzeMs };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      orders: { type: 'string', default: '50000' },
      seed: { type: 'string', default: '2025' },
      batch: { type: 'string', default: '2500' },
      concurrency: { type: 'string', default: '2' },
      stage: { type: 'string', default: '50000' },
      baseline: { type: 'boolean', default: false },
    },
  });
  const orders = Number(values.orders);
  const pool = await prepareBenchDatabase();
  try {
    const result = await loadEventStore(pool, {
      orders,
      seed: Number(values.seed),
      batchOrders: Number(values.batch),
      concurrency: Number(values.concurrency),
      stageOrders: Number(values.stage),
    });
    console.log(JSON.stringify(result, null, 2));
    if (values.baseline) {
      console.log(
        JSON.stringify(await loadBaseline(pool, { orders, seed: Number(values.seed) }), null, 2),
      );
    }
  } finally {
    await pool.end();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
