import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addMonths,
  createUpcaster,
  decide,
  evolve,
  fold,
  isStorableText,
  LIMITS,
  monthSpan,
  monthsBetween,
  type Order,
  type OrderCommand,
  type OrderEvent,
  type OrderState,
  type PlaceOrder,
  upcast,
} from '../domain';

const T0 = '2025-10-01T10:00:00.000Z';
const place = (over: Partial<PlaceOrder> = {}): PlaceOrder => ({
  type: 'PlaceOrder',
  orderId: 'o-1',
  customerId: 'c-1',
  region: 'eu',
  currency: 'EUR',
  items: [
    { productId: 'p-1', quantity: 2, unitPriceMinor: 1999 },
    { productId: 'p-2', quantity: 1, unitPriceMinor: 500 },
  ],
  at: T0,
  ...over,
});

function run(commands: OrderCommand[]): { state: OrderState; events: OrderEvent[] } {
  let state: OrderState = { status: 'none' };
  const events: OrderEvent[] = [];
  for (const c of commands) {
    const d = decide(c, state);
    if (!d.ok) throw new Error(d.error.message);
    for (const e of d.events) {
      state = evolve(state, e);
      events.push(e);
    }
  }
  return { state, events };
}

describe('decide and evolve', () => {
  it('places an order with exact integer totals', () => {
    const { state, events } = run([place()]);
    expect(events).toHaveLength(1);
    expect(state).toMatchObject({ status: 'placed', totalMinor: 4498, totalQuantity: 3 });
    expect((state as Order).items.map((i) => i.lineTotalMinor)).toEqual([3998, 500]);
  });

  it('walks placed -> completed -> refunded', () => {
    const { state } = run([
      place(),
      { type: 'CompleteOrder', orderId: 'o-1', at: '2025-10-02T00:00:00.000Z' },
      { type: 'RefundOrder', orderId: 'o-1', reason: 'damaged', at: '2025-10-03T00:00:00.000Z' },
    ]);
    expect(state).toMatchObject({ status: 'refunded', refundReason: 'damaged' });
  });

  it('refuses transitions the order does not allow', () => {
    const { state } = run([place(), { type: 'CancelOrder', orderId: 'o-1', reason: 'x', at: T0 }]);
    for (const c of [
      { type: 'CompleteOrder', orderId: 'o-1', at: T0 },
      { type: 'RefundOrder', orderId: 'o-1', reason: 'r', at: T0 },
      { type: 'CancelOrder', orderId: 'o-1', reason: 'r', at: T0 },
    ] as OrderCommand[]) {
      const d = decide(c, state);
      expect(d.ok).toBe(false);
      if (!d.ok) expect(d.error).toMatchObject({ code: 'InvalidTransition', status: 'cancelled' });
    }
    const refundPlaced = decide(
      { type: 'RefundOrder', orderId: 'o-1', reason: 'r', at: T0 },
      run([place()]).state,
    );
    expect(refundPlaced).toMatchObject({ ok: false, error: { code: 'InvalidTransition' } });
  });

  it('reports a missing order and a duplicate place', () => {
    expect(
      decide({ type: 'CompleteOrder', orderId: 'nope', at: T0 }, { status: 'none' }),
    ).toMatchObject({
      ok: false,
      error: { code: 'OrderNotFound', orderId: 'nope' },
    });
    expect(decide(place(), run([place()]).state)).toMatchObject({
      ok: false,
      error: { code: 'OrderAlreadyExists' },
    });
  });

  it('rejects data outside the rules with the paths of every problem', () => {
    const d = decide(
      place({
        currency: 'eur',
        items: [
          { productId: 'p 1', quantity: 0, unitPriceMinor: 1.5 },
          { productId: 'p2', quantity: LIMITS.maxQuantity + 1, unitPriceMinor: -1 },
        ],
      }),
      { status: 'none' },
    );
    expect(d.ok).toBe(false);
    if (d.ok || d.error.code !== 'InvalidCommand') throw new Error('expected InvalidCommand');
    expect(d.error.issues.map((i) => i.path)).toEqual([
      'currency',
      'items.0.productId',
      'items.0.quantity',
      'items.0.unitPriceMinor',
      'items.1.quantity',
      'items.1.unitPriceMinor',
    ]);
    expect(decide(place({ items: [] }), { status: 'none' })).toMatchObject({
      ok: false,
      error: { issues: [{ path: 'items' }] },
    });
  });

  it('refuses text PostgreSQL cannot store and year 0000', () => {
    const placedState = run([place()]).state;
    for (const reason of ['a\u0000b', '\ud800']) {
      expect(
        decide({ type: 'CancelOrder', orderId: 'o-1', reason, at: T0 }, placedState),
      ).toMatchObject({
        ok: false,
        error: { code: 'InvalidCommand', issues: [{ path: 'reason' }] },
      });
    }
    expect(decide(place({ at: '0000-01-01T00:00:00.000Z' }), { status: 'none' })).toMatchObject({
      ok: false,
      error: { issues: [{ path: 'at' }] },
    });
  });

  it('refuses a change dated before the order last changed', () => {
    const d = decide(
      { type: 'CompleteOrder', orderId: 'o-1', at: '2025-09-30T00:00:00.000Z' },
      run([place()]).state,
    );
    expect(d).toMatchObject({
      ok: false,
      error: { code: 'InvalidCommand', issues: [{ path: 'at' }] },
    });
  });
  it('orders changes by instant, not by how the instant is spelled', () => {
    const placed = run([place({ at: '2025-10-01T10:00:00Z' })]).state;
    const complete = (at: string) => decide({ type: 'CompleteOrder', orderId: 'o-1', at }, placed);
    expect(complete('2025-10-01T10:00:00.000Z')).toMatchObject({ ok: true });
    expect(complete('2025-10-01T10:00:00.5Z')).toMatchObject({ ok: true });
    expect(complete('2025-10-01T09:59:59.999Z')).toMatchObject({
      ok: false,
      error: { code: 'InvalidCommand', issues: [{ path: 'at' }] },
    });
  });

  it("the server's clock yields to a later last change: the later of the two, never a refusal", () => {
    const future = '2099-01-01T00:00:00.000Z';
    const completed = run([place(), { type: 'CompleteOrder', orderId: 'o-1', at: future }]).state;
    const now = '2025-10-05T00:00:00.000Z';
    const refund = decide(
      { type: 'RefundOrder', orderId: 'o-1', reason: 'r', at: now, atFromServer: true },
      completed,
    );
    expect(refund).toMatchObject({ ok: true, events: [{ data: { refundedAt: future } }] });
    const placedFuture = run([place({ at: future })]).state;
    const cancel = decide(
      { type: 'CancelOrder', orderId: 'o-1', reason: 'r', at: now, atFromServer: true },
      placedFuture,
    );
    expect(cancel).toMatchObject({ ok: true, events: [{ data: { cancelledAt: future } }] });
    // A later server clock is used as it is.
    const later = '2099-06-01T00:00:00.000Z';
    expect(
      decide(
        { type: 'CompleteOrder', orderId: 'o-1', at: later, atFromServer: true },
        placedFuture,
      ),
    ).toMatchObject({ ok: true, events: [{ data: { completedAt: later } }] });
    // A time the caller chose is still held to the order's last change.
    expect(
      decide({ type: 'RefundOrder', orderId: 'o-1', reason: 'r', at: now }, completed),
    ).toMatchObject({ ok: false, error: { code: 'InvalidCommand', issues: [{ path: 'at' }] } });
  });
});

describe('report months', () => {
  it('monthsBetween ends at the last month of year 9999 and pads years below 1000', () => {
    expect(monthsBetween('9999-11', '9999-12')).toEqual(['9999-11', '9999-12']);
    expect(monthsBetween('0099-12', '0100-01')).toEqual(['0099-12', '0100-01']);
    expect(monthsBetween('2025-03', '2025-02')).toEqual([]);
  });
});

describe('upcasting', () => {
  const v1: OrderEvent = { type: 'OrderCompleted', data: { orderId: 'o-1', completedAt: T0 } };

  it('reads a v1 event through the current upcaster', () => {
    expect(upcast({ type: 'OrderCompleted', schemaVersion: 1, data: v1.data })).toEqual(v1);
  });

  it('applies the steps from the stored version to the current one', () => {
    const read = createUpcaster(
      { OrderCompleted: { 1: (d) => ({ ...d, channel: 'web' }) } },
      { OrderPlaced: 1, OrderCompleted: 2, OrderCancelled: 1, OrderRefunded: 1 },
    );
    expect(read({ type: 'OrderCompleted', schemaVersion: 1, data: v1.data }).data).toEqual({
      ...v1.data,
      channel: 'web',
    });
  });

  it('refuses versions and types it does not know', () => {
    expect(() => upcast({ type: 'OrderCompleted', schemaVersion: 2, data: {} })).toThrow(/newer/);
    expect(() => upcast({ type: 'OrderShipped', schemaVersion: 1, data: {} })).toThrow(/unknown/);
  });
});

const id = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const item = fc.record({
  productId: id,
  quantity: fc.integer({ min: LIMITS.minQuantity, max: LIMITS.maxQuantity }),
  unitPriceMinor: fc.integer({ min: LIMITS.minUnitPriceMinor, max: LIMITS.maxUnitPriceMinor }),
});
const placeCmd = fc.record({
  type: fc.constant('PlaceOrder' as const),
  orderId: fc.constant('o-prop'),
  customerId: id,
  region: id,
  currency: fc.stringMatching(/^[A-Z]{3}$/),
  items: fc.array(item, { minLength: 1, maxLength: LIMITS.maxItems }),
  at: fc.constant(T0),
});
const EMITS: Record<OrderCommand['type'], OrderEvent['type']> = {
  PlaceOrder: 'OrderPlaced',
  CompleteOrder: 'OrderCompleted',
  CancelOrder: 'OrderCancelled',
  RefundOrder: 'OrderRefunded',
};
const STATUS_AFTER: Record<OrderCommand['type'], OrderState['status']> = {
  PlaceOrder: 'placed',
  CompleteOrder: 'completed',
  CancelOrder: 'cancelled',
  RefundOrder: 'refunded',
};
/** The follow-ups the domain allows from each status (docs/api.md, "Commands"). */
const LEGAL_NEXT: Record<OrderState['status'], ReadonlyArray<OrderCommand['type']>> = {
  none: [],
  placed: ['CompleteOrder', 'CancelOrder'],
  completed: ['RefundOrder'],
  cancelled: [],
  refunded: [],
};

function followUpCommand(
  type: 'CompleteOrder' | 'CancelOrder' | 'RefundOrder',
  orderId: string,
  at: string,
  reason: string,
): OrderCommand {
  return type === 'CompleteOrder' ? { type, orderId, at } : { type, orderId, reason, at };
}

/** When (and why) the change a command of `type` made to the order happened. */
function changeOf(state: OrderState, type: OrderCommand['type']) {
  if (state.status === 'none') return undefined;
  switch (type) {
    case 'PlaceOrder':
      return { at: state.placedAt };
    case 'CompleteOrder':
      return { at: state.completedAt, reason: undefined };
    case 'CancelOrder':
      return { at: state.cancelledAt, reason: state.cancelReason };
    case 'RefundOrder':
      return { at: state.refundedAt, reason: state.refundReason };
  }
}

/** Every spelling of a UTC instant that `validate` accepts: with 0-3 fraction digits. */
function spellings(ms: number): string[] {
  const iso = new Date(ms).toISOString();
  const whole = iso.slice(0, 19);
  const fraction = iso.slice(20, 23);
  const out = [iso];
  if (fraction === '000') out.push(`${whole}Z`);
  if (fraction.endsWith('00')) out.push(`${whole}.${fraction.slice(0, 1)}Z`);
  if (fraction.endsWith('0')) out.push(`${whole}.${fraction.slice(0, 2)}Z`);
  return out;
}
/** Instants from year 0001 to 9999, spelled any accepted way. */
const MIN_MS = Date.parse('0001-01-01T00:00:00.000Z');
const MAX_MS = Date.parse('9999-12-31T23:59:59.999Z');
const reason = fc
  .oneof(
    fc.string({ minLength: 1, maxLength: LIMITS.maxReasonLength }),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 100 }),
  )
  .filter((r) => r.length <= LIMITS.maxReasonLength && isStorableText(r));

/**
 * A legal walk: a valid place, then follow-ups each allowed by the status it meets, each
 * at or after the previous change (equal times included), stopping at random or when
 * nothing more is allowed.
 */
const validWalk = fc
  .record({
    place: placeCmd.chain((p) =>
      fc
        .record({
          orderId: id,
          startMs: fc.integer({ min: MIN_MS, max: MAX_MS - 10 * 86_400_000 }),
          spelling: fc.nat(),
        })
        .map(({ orderId, startMs, spelling }) => {
          const options = spellings(startMs);
          return { ...p, orderId, at: options[spelling % options.length] as string, startMs };
        }),
    ),
    choices: fc.array(
      fc.record({
        pick: fc.nat(),
        // Zero included: a change at the very instant of the previous one is allowed.
        gapMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 86_400_000 })),
        spelling: fc.nat(),
        reason,
      }),
      { maxLength: 3 },
    ),
  })
  .map(({ place: { startMs, ...first }, choices }) => {
    const steps: OrderCommand[] = [];
    let status: OrderState['status'] = 'placed';
    let ms = startMs;
    for (const c of choices) {
      const legal: ReadonlyArray<OrderCommand['type']> = LEGAL_NEXT[status];
      const type: OrderCommand['type'] | undefined = legal[c.pick % legal.length];
      if (type === undefined || type === 'PlaceOrder') break;
      ms += c.gapMs;
      const options = spellings(ms);
      steps.push(
        followUpCommand(
          type,
          first.orderId,
          options[c.spelling % options.length] as string,
          c.reason,
        ),
      );
      status = STATUS_AFTER[type];
    }
    return { place: first satisfies PlaceOrder, steps };
  });

const followUp = fc.constantFrom<OrderCommand['type']>(
  'CompleteOrder',
  'CancelOrder',
  'RefundOrder',
  'PlaceOrder',
);

function assertValid(state: OrderState): void {
  if (state.status === 'none') return;
  expect(state.items.length).toBeGreaterThanOrEqual(1);
  expect(state.totalMinor).toBe(state.items.reduce((s, i) => s + i.quantity * i.unitPriceMinor, 0));
  expect(state.totalQuantity).toBe(state.items.reduce((s, i) => s + i.quantity, 0));
  expect(Number.isSafeInteger(state.totalMinor)).toBe(true);
  for (const i of state.items) expect(i.lineTotalMinor).toBe(i.quantity * i.unitPriceMinor);
  expect(state.completedAt !== undefined).toBe(
    state.status === 'completed' || state.status === 'refunded',
  );
  expect(state.cancelledAt !== undefined).toBe(state.status === 'cancelled');
  expect(state.refundedAt !== undefined).toBe(state.status === 'refunded');
}

describe('properties', () => {
  it('evolve never produces an invalid state from events decide emitted', () => {
    fc.assert(
      fc.property(placeCmd, fc.array(followUp, { maxLength: 6 }), (first, next) => {
        let state: OrderState = { status: 'none' };
        const commands: OrderCommand[] = [
          first,
          ...next.map((type, n): OrderCommand => {
            const at = new Date(Date.parse(T0) + (n + 1) * 60_000).toISOString();
            if (type === 'PlaceOrder') return { ...first, at };
            if (type === 'CompleteOrder') return { type, orderId: first.orderId, at };
            return { type, orderId: first.orderId, reason: 'because', at };
          }),
        ];
        for (const c of commands) {
          const d = decide(c, state);
          if (!d.ok) continue;
          for (const e of d.events) state = evolve(state, e);
          assertValid(state);
        }
      }),
    );
  });

  it('decide accepts every valid follow-up: random legal walks are accepted step by step', () => {
    fc.assert(
      fc.property(validWalk, ({ place: first, steps }) => {
        let state: OrderState = { status: 'none' };
        for (const command of [first, ...steps]) {
          const d = decide(command, state);
          if (!d.ok) {
            throw new Error(
              `refused valid ${command.type} on ${state.status}: ${d.error.code} ${d.error.message}`,
            );
          }
          expect(d.events).toHaveLength(1);
          const [event] = d.events as [OrderEvent];
          expect(event.type).toBe(EMITS[command.type]);
          expect(event.data.orderId).toBe(first.orderId);
          const next = evolve(state, event);
          expect(next.status).toBe(STATUS_AFTER[command.type]);
          expect(changeOf(next, command.type)).toEqual(
            command.type === 'PlaceOrder'
              ? { at: command.at }
              : { at: command.at, reason: 'reason' in command ? command.reason : undefined },
          );
          state = next;
        }
        // A walk ends only where nothing more is allowed, or where it chose to stop.
        if (state.status === 'cancelled' || state.status === 'refunded') {
          for (const type of ['CompleteOrder', 'CancelOrder', 'RefundOrder'] as const) {
            const late = followUpCommand(type, first.orderId, '9999-12-31T23:59:59.999Z', 'x');
            expect(decide(late, state)).toMatchObject({
              ok: false,
              error: { code: 'InvalidTransition' },
            });
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('order totals equal the sum of line totals, exactly', () => {
    fc.assert(
      fc.property(placeCmd, (cmd) => {
        const d = decide(cmd, { status: 'none' });
        if (!d.ok) throw new Error(d.error.message);
        const state = fold(d.events);
        if (state.status === 'none') throw new Error('no order');
        const expected = cmd.items.reduce(
          (s, i) => s + BigInt(i.quantity) * BigInt(i.unitPriceMinor),
          0n,
        );
        expect(BigInt(state.totalMinor)).toBe(expected);
      }),
    );
  });
});

describe('report month arithmetic', () => {
  it('adds months across years, keeping four-digit years (years before 1000 too)', () => {
    expect(addMonths('0001-12', 1)).toBe('0002-01');
    expect(addMonths('0999-12', 1)).toBe('1000-01');
    expect(addMonths('2024-01', -1)).toBe('2023-12');
  });

  it('counts the months of a range arithmetically, both ends included', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9960 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 400 }),
        (y, m, span) => {
          const from = `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}`;
          const to = addMonths(from, span);
          expect(monthSpan(from, to)).toBe(span + 1);
          expect(monthsBetween(from, to)).toHaveLength(span + 1);
        },
      ),
    );
    expect(monthSpan('0001-01', '9999-12')).toBe(119_988);
  });
});
