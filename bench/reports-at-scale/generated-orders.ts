// N completed orders of 2025, the same ones for the same seed, written to the event store
// through EventStore.appendBatch as the command path would have appended them (the tests
// that need a large store use the generator too).
import type pg from 'pg';
import { payloadHash } from '../../api/command-hash';
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
} from '../../domain';
import { orderStreamId } from '../../domain/streams';
import { type BatchAppend, EventStore } from '../../eventstore/event-store';
import { type Cores, startCpuMeter } from '../harness/cpu';

export const PRODUCT_COUNT = 1_000;
export const CURRENCIES = ['EUR', 'USD', 'GBP'] as const;
export const REGIONS = ['eu', 'na', 'apac'] as const;
const YEAR_START = Date.UTC(2025, 0, 1);
const YEAR_END = Date.UTC(2026, 0, 1);

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

/** A version-4-shaped UUID from the PRNG, so command and order ids are reproducible. */
function uuidFrom(rand: () => number): string {
  const hex = Array.from({ length: 4 }, () =>
    (Math.floor(rand() * 4294967296) >>> 0).toString(16).padStart(8, '0'),
  ).join('');
  const variant = ((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
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
 * `count` completed orders: completions spread evenly over 2025 (in order), each placed up
 * to 3 days earlier (not before 2025), 1-5 distinct products of a skewed popularity,
 * quantities 1-10 (mostly small), catalogue prices in integer minor units.
 */
export function* generateOrders(count: number, seed = 2025): Generator<GeneratedOrder> {
  const rand = mulberry32(seed);
  const prices = ((r) =>
    Array.from({ length: PRODUCT_COUNT }, () => {
      const base = 199 + Math.floor(r() * 49_800);
      return { EUR: base, USD: Math.round(base * 1.08), GBP: Math.round(base * 0.86) };
    }))(mulberry32(seed ^ 0x5eed_1234));
  const span = YEAR_END - YEAR_START;
  for (let i = 0; i < count; i++) {
    const completed = YEAR_START + Math.floor(((i + rand()) * span) / count);
    const placed = Math.max(YEAR_START, completed - 60_000 - Math.floor(rand() * 259_200_000));
    const currency = CURRENCIES[Math.floor(rand() * CURRENCIES.length)] ?? 'EUR';
    const region = REGIONS[Math.floor(rand() * REGIONS.length)] ?? 'eu';
    const customerId = `c-${Math.floor(rand() * 200_000)}`;
    const lines = 1 + Math.floor(rand() * 5);
    const chosen = new Set<number>();
    while (chosen.size < lines) chosen.add(Math.floor(PRODUCT_COUNT * rand() ** 1.5));
    const items = [...chosen].map((p) => ({
      productId: `sku-${String(p + 1).padStart(4, '0')}`,
      quantity: 1 + Math.floor(10 * rand() ** 3),
      unitPriceMinor: prices[p]?.[currency] ?? 0,
    }));
    const placeCommandId = uuidFrom(rand);
    yield {
      orderId: `o-${placeCommandId}`, // as the API names it: from the place command's id
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

/** Groups an iterable's items in arrays of `size` (the last one shorter). */
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

/** The order's two commands as the command path appends them: decide, evolve, hashes. */
export function orderAppends(order: GeneratedOrder): [BatchAppend, BatchAppend] {
  const { orderId, customerId, region, currency, items, placedAt, completedAt } = order;
  const place: PlaceOrder = {
    type: 'PlaceOrder',
    orderId,
    customerId,
    region,
    currency,
    items,
    at: placedAt,
  };
  const complete: CompleteOrder = { type: 'CompleteOrder', orderId, at: completedAt };
  const decided = (command: PlaceOrder | CompleteOrder, state: OrderState): OrderEvent[] => {
    const decision = decide(command, state);
    if (!decision.ok)
      throw new Error(`generated ${command.type} refused: ${decision.error.message}`);
    return decision.events;
  };
  const placed = decided(place, initialState);
  const completed = decided(complete, placed.reduce(evolve, initialState));
  const append = (
    command: PlaceOrder | CompleteOrder,
    events: OrderEvent[],
    expectedVersion: number,
    commandId: string,
    body: Record<string, unknown>,
  ): BatchAppend => ({
    streamId: orderStreamId(orderId),
    expectedVersion,
    events: events.map(({ type, data }) => ({
      type,
      schemaVersion: CURRENT_SCHEMA_VERSION[type],
      data,
    })),
    commandId,
    commandType: command.type,
    payloadHash: payloadHash(command === place ? 'orders.place' : 'orders.complete', body),
    metadata: {
      correlationId: order.correlationId,
      causationId: commandId,
      actor: 'admin:bench-loader',
      occurredAt: command.at,
    },
  });
  const placeBody = { customerId, region, currency, items, at: placedAt };
  return [
    append(place, placed, 0, order.placeCommandId, placeBody),
    append(complete, completed, placed.length, order.completeCommandId, {
      orderId,
      at: completedAt,
    }),
  ];
}

/**
 * Empties the event store, then appends the orders in stages — generate 50,000, append them
 * in batches with `concurrency` calls in flight — so the append is timed without the
 * generator competing for the CPU. Ends with VACUUM ANALYZE, as a store in service has had.
 */
export async function loadEventStore(
  pool: pg.Pool,
  options: { orders: number; seed: number; batchOrders: number; concurrency: number },
  onProgress: (orders: number, appendEventsPerSecond: number) => void,
) {
  const { batchOrders, concurrency } = options;
  const store = new EventStore(pool);
  await pool.query('truncate table events, streams, commands restart identity');
  let [orders, events, generateMs, appendWallMs] = [0, 0, 0, 0];
  const coreSeconds: Cores = {};
  const start = performance.now();
  for (const stage of chunks(generateOrders(options.orders, options.seed), 50_000)) {
    const g = performance.now();
    const batches = [...chunks(stage, batchOrders)].map((b) => b.flatMap(orderAppends));
    generateMs += performance.now() - g;
    const meter = startCpuMeter();
    const a = performance.now();
    let next = 0;
    const lane = async () => {
      for (let i = next++; i < batches.length; i = next++) {
        const entries = batches[i] ?? [];
        await store.appendBatch(entries);
        events += entries.reduce((n, e) => n + e.events.length, 0);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    const stageMs = performance.now() - a;
    appendWallMs += stageMs;
    for (const [group, cores] of Object.entries(meter.stop()))
      coreSeconds[group] = (coreSeconds[group] ?? 0) + (cores * stageMs) / 1000;
    orders += stage.length;
    onProgress(orders, events / (appendWallMs / 1000));
  }
  const eventsPerSecond = events / ((performance.now() - start) / 1000);
  const v = performance.now();
  await pool.query('vacuum (analyze) events, streams, commands');
  return {
    orders,
    events,
    batchOrders,
    concurrency,
    /** Building the events with the domain (decide/evolve) and hashing payloads. */
    generateMs,
    /** Wall time of the append stages (the calls of a stage overlap). */
    appendWallMs,
    /** The append stages alone: the event store's batch append. */
    appendEventsPerSecond: events / (appendWallMs / 1000),
    /** End to end, generation included. */
    eventsPerSecond,
    vacuumAnalyzeMs: performance.now() - v,
    /** Cores per group during the append stages. */
    appendCores: Object.fromEntries(
      Object.entries(coreSeconds).map(([g, sec]) => [
        g,
        Number((sec / (appendWallMs / 1000)).toFixed(2)),
      ]),
    ),
  };
}
