import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addMonths,
  decide,
  evolve,
  fold,
  isStorableText,
  LIMITS,
  monthSpan,
  monthsBetween,
  type OrderCommand,
  type OrderEvent,
  type OrderState,
  type PlaceOrder,
} from '../domain';

// The order model's properties over generated commands (fast-check), and the month
// arithmetic at its edges: pure, milliseconds.

const T0 = '2025-10-01T10:00:00.000Z';

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
