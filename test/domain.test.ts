import { describe, expect, it } from 'vitest';
import {
  createUpcaster,
  decide,
  evolve,
  LIMITS,
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
