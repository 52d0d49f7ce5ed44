import { describe, expect, it } from 'vitest';
import {
  type BatchCommand,
  type BatchDecision,
  type DomainError,
  decideBatch,
  InvalidEventError,
  type LoadedOrder,
  loadedOrder,
  type OrderCommand,
  type PlaceOrder,
  type RecordedCommand,
} from '../domain';

// The command decision both command paths share, given what the store holds (the orders'
// streams, what is recorded of the command ids), when a batch arrives, then its outcomes,
// appends and refusals. Pure: no servers.

const T0 = '2025-10-01T10:00:00.000Z';
const T1 = '2025-10-02T10:00:00.000Z';

const place = (orderId: string, over: Partial<PlaceOrder> = {}): PlaceOrder => ({
  type: 'PlaceOrder',
  orderId,
  customerId: 'c-1',
  region: 'eu',
  currency: 'EUR',
  items: [{ productId: 'p-1', quantity: 2, unitPriceMinor: 1999 }],
  at: T0,
  ...over,
});
const complete = (orderId: string): OrderCommand => ({ type: 'CompleteOrder', orderId, at: T1 });
const cancel = (orderId: string): OrderCommand => ({
  type: 'CancelOrder',
  orderId,
  reason: 'changed my mind',
  at: T1,
});

/** A command of the batch; its payload hash stands for its payload. */
const cmd = (commandId: string, command: OrderCommand, payloadHash = `h-${commandId}`) => ({
  commandId,
  payloadHash,
  command,
});

/** An order's stream as stored, read the way the activities read it. */
const stream = (...events: { type: string; data: unknown }[]): LoadedOrder =>
  loadedOrder(events.map((e) => ({ ...e, schemaVersion: 1 })));
const placedEvent = (orderId: string) => ({
  type: 'OrderPlaced',
  data: {
    orderId,
    customerId: 'c-1',
    region: 'eu',
    currency: 'EUR',
    items: [{ productId: 'p-1', quantity: 2, unitPriceMinor: 1999, lineTotalMinor: 3998 }],
    totalQuantity: 2,
    totalMinor: 3998,
    placedAt: T0,
  },
});
const completedEvent = (orderId: string) => ({
  type: 'OrderCompleted',
  data: { orderId, completedAt: T1 },
});
const cancelledEvent = (orderId: string) => ({
  type: 'OrderCancelled',
  data: { orderId, reason: 'elsewhere', cancelledAt: T1 },
});

/** What the store recorded of a command id: committed, or refused. */
const committed = (
  streamId: string,
  payloadHash: string,
  version: number,
  position: number,
): RecordedCommand => ({ outcome: 'committed', streamId, payloadHash, version, position });
const refused = (streamId: string, payloadHash: string, error: DomainError): RecordedCommand => ({
  outcome: 'refused',
  streamId,
  payloadHash,
  error,
});

interface Given {
  /** Order streams by stream id; a stream not listed is a new order. */
  orders?: Record<string, LoadedOrder>;
  /** What the store recorded, by command id (lower case, as the store answers). */
  recorded?: Record<string, RecordedCommand>;
}

/** Given what the store holds, when these commands arrive: the decision. */
function when(given: Given, ...commands: BatchCommand[]): BatchDecision {
  return decideBatch(
    commands,
    new Map(Object.entries(given.orders ?? {})),
    new Map(Object.entries(given.recorded ?? {})),
  );
}

/** The appends, in short: [command index, stream, expected version, event types]. */
const appendsOf = (d: BatchDecision) =>
  d.appends.map((a) => [a.command, a.streamId, a.expectedVersion, a.events.map((e) => e.type)]);

const notFound = (orderId: string): DomainError => ({
  code: 'OrderNotFound',
  orderId,
  message: `order ${orderId} does not exist`,
});

describe('decideBatch: one decision for both command paths (pure)', () => {
  it('given nothing stored, when an order is placed, then its event is appended at version 0', () => {
    const d = when({}, cmd('c1', place('o-1')));
    expect(d.outcomes).toEqual([{ kind: 'accepted', append: 0 }]);
    expect(appendsOf(d)).toEqual([[0, 'order-o-1', 0, ['OrderPlaced']]]);
    expect(d.appends[0]?.events[0]?.data).toMatchObject({ totalMinor: 3998, placedAt: T0 });
    expect(d.refusals).toEqual([]);
  });

  it('given nothing stored, when two commands on one order arrive together, then the second is decided on the state the first leaves and appended after it', () => {
    const d = when(
      {},
      cmd('c1', place('o-1')),
      cmd('c2', place('o-2')),
      cmd('c3', complete('o-1')),
    );
    expect(d.outcomes).toEqual([
      { kind: 'accepted', append: 0 },
      { kind: 'accepted', append: 1 },
      { kind: 'accepted', append: 2 },
    ]);
    expect(appendsOf(d)).toEqual([
      [0, 'order-o-1', 0, ['OrderPlaced']],
      [1, 'order-o-2', 0, ['OrderPlaced']],
      [2, 'order-o-1', 1, ['OrderCompleted']],
    ]);
  });

  it('given a placed order, when it is cancelled then completed in one batch, then the complete is refused on the cancelled state and recorded', () => {
    const d = when(
      { orders: { 'order-o-1': stream(placedEvent('o-1')) } },
      cmd('c1', cancel('o-1')),
      cmd('c2', complete('o-1')),
    );
    const refusal: DomainError = {
      code: 'InvalidTransition',
      orderId: 'o-1',
      status: 'cancelled',
      command: 'CompleteOrder',
      message: 'cannot complete order o-1: it is cancelled',
    };
    expect(d.outcomes).toEqual([
      { kind: 'accepted', append: 0 },
      { kind: 'refused', error: refusal },
    ]);
    expect(appendsOf(d)).toEqual([[0, 'order-o-1', 1, ['OrderCancelled']]]);
    expect(d.refusals).toEqual([
      { commandId: 'c2', streamId: 'order-o-1', payloadHash: 'h-c2', error: refusal },
    ]);
  });

  it('given no stream for the order, when it is completed, then it is refused OrderNotFound and the refusal recorded', () => {
    const d = when({}, cmd('c1', complete('o-9')));
    expect(d.outcomes).toEqual([{ kind: 'refused', error: notFound('o-9') }]);
    expect(d.appends).toEqual([]);
    expect(d.refusals).toEqual([
      { commandId: 'c1', streamId: 'order-o-9', payloadHash: 'h-c1', error: notFound('o-9') },
    ]);
  });

  it('given a command that breaks the rules of its own data, then it is refused InvalidCommand and recorded, the rest of the batch goes on', () => {
    const d = when({}, cmd('c1', place('o-1', { items: [] })), cmd('c2', place('o-2')));
    expect(d.outcomes[0]).toMatchObject({ kind: 'refused', error: { code: 'InvalidCommand' } });
    expect(d.outcomes[1]).toEqual({ kind: 'accepted', append: 0 });
    expect(d.refusals.map((r) => r.commandId)).toEqual(['c1']);
    expect(appendsOf(d)).toEqual([[1, 'order-o-2', 0, ['OrderPlaced']]]);
  });

  it('given a batch that committed before (a redelivery after a crash), when it arrives again, then each command is answered from the store and nothing is appended or recorded', () => {
    const d = when(
      {
        orders: { 'order-o-1': stream(placedEvent('o-1'), completedEvent('o-1')) },
        recorded: {
          c1: committed('order-o-1', 'h-c1', 1, 17),
          c2: committed('order-o-1', 'h-c2', 2, 18),
          c3: refused('order-o-1', 'h-c3', notFound('o-1')),
        },
      },
      cmd('c1', place('o-1')),
      cmd('c2', complete('o-1')),
      cmd('c3', complete('o-1')),
    );
    expect(d.outcomes).toEqual([
      { kind: 'committed', version: 1, position: 17 },
      { kind: 'committed', version: 2, position: 18 },
      { kind: 'refused', error: notFound('o-1') },
    ]);
    expect(d.appends).toEqual([]);
    expect(d.refusals).toEqual([]);
  });

  it('given a batch partly committed before, when it arrives again, then the committed command is answered from the store and the others decided after its events', () => {
    const d = when(
      {
        orders: { 'order-o-1': stream(placedEvent('o-1')) },
        recorded: {
          c1: committed('order-o-1', 'h-c1', 1, 17),
        },
      },
      cmd('c1', place('o-1')),
      cmd('c2', complete('o-1')),
    );
    expect(d.outcomes).toEqual([
      { kind: 'committed', version: 1, position: 17 },
      { kind: 'accepted', append: 0 },
    ]);
    expect(appendsOf(d)).toEqual([[1, 'order-o-1', 1, ['OrderCompleted']]]);
  });

  it('given a refusal recorded for the command id, when it is replayed on a state that would now accept it, then it gets the recorded refusal, nothing appended', () => {
    const d = when(
      {
        orders: { 'order-o-1': stream(placedEvent('o-1')) },
        recorded: {
          c1: refused('order-o-1', 'h-c1', notFound('o-1')),
        },
      },
      cmd('c1', complete('o-1')),
    );
    expect(d).toEqual({
      outcomes: [{ kind: 'refused', error: notFound('o-1') }],
      appends: [],
      refusals: [],
    });
  });

  it.each<[string, RecordedCommand]>([
    ['committed with another payload', committed('order-o-1', 'h-other', 1, 3)],
    ['refused with another payload', refused('order-o-1', 'h-other', notFound('o-1'))],
    ['committed for another order', committed('order-o-2', 'h-c1', 1, 3)],
  ])(
    'given the command id %s, when it is sent again, then it is an id conflict: nothing appended or recorded',
    (_, stored) => {
      const d = when(
        { orders: { 'order-o-1': stream(placedEvent('o-1')) }, recorded: { c1: stored } },
        cmd('c1', complete('o-1')),
      );
      expect(d).toEqual({ outcomes: [{ kind: 'idConflict' }], appends: [], refusals: [] });
    },
  );

  it('given a command id recorded in lower case, when it comes in upper case, then it is the same command', () => {
    const d = when(
      {
        recorded: {
          'c-abc': committed('order-o-1', 'h', 1, 5),
        },
      },
      cmd('C-ABC', place('o-1'), 'h'),
    );
    expect(d.outcomes).toEqual([{ kind: 'committed', version: 1, position: 5 }]);
  });

  it('given one command id twice in a batch, then the repeat shares the first one’s outcome (one append, one refusal), and with another payload it is an id conflict', () => {
    const d = when(
      {},
      cmd('c1', place('o-1')),
      cmd('C1', place('o-1'), 'h-c1'),
      cmd('c1', place('o-1', { region: 'us' }), 'h-other'),
      cmd('c2', complete('o-9')),
      cmd('c2', complete('o-9')),
    );
    expect(d.outcomes).toEqual([
      { kind: 'accepted', append: 0 },
      { kind: 'accepted', append: 0 },
      { kind: 'idConflict' },
      { kind: 'refused', error: notFound('o-9') },
      { kind: 'refused', error: notFound('o-9') },
    ]);
    expect(appendsOf(d)).toEqual([[0, 'order-o-1', 0, ['OrderPlaced']]]);
    expect(d.refusals.map((r) => r.commandId)).toEqual(['c2']);
  });

  it('given the order moved after the first decision (a ConcurrencyError), when the batch is decided again on the stream as it is now, then it expects the new version or is refused on the new state', () => {
    const batch = [cmd('c1', complete('o-1')), cmd('c2', complete('o-2'))];
    const first = when(
      {
        orders: {
          'order-o-1': stream(placedEvent('o-1')),
          'order-o-2': stream(placedEvent('o-2')),
        },
      },
      ...batch,
    );
    expect(appendsOf(first)).toEqual([
      [0, 'order-o-1', 1, ['OrderCompleted']],
      [1, 'order-o-2', 1, ['OrderCompleted']],
    ]);
    // Another writer cancelled o-1 meanwhile: the append failed as a whole; decide again.
    const again = when(
      {
        orders: {
          'order-o-1': stream(placedEvent('o-1'), cancelledEvent('o-1')),
          'order-o-2': stream(placedEvent('o-2')),
        },
      },
      ...batch,
    );
    expect(again.outcomes).toEqual([
      {
        kind: 'refused',
        error: expect.objectContaining({ code: 'InvalidTransition', status: 'cancelled' }),
      },
      { kind: 'accepted', append: 0 },
    ]);
    expect(appendsOf(again)).toEqual([[1, 'order-o-2', 1, ['OrderCompleted']]]);
    expect(again.refusals.map((r) => r.commandId)).toEqual(['c1']);
  });

  it('given an order holding an event this code cannot read, then its commands are unreadable, nothing recorded for them, and the rest of the batch is decided', () => {
    const unreadable = loadedOrder([
      { ...placedEvent('o-1'), schemaVersion: 1 },
      { type: 'OrderArchived', schemaVersion: 1, data: {} },
    ]);
    expect(unreadable).toEqual({ unreadable: 'unknown event type OrderArchived' });
    const d = when(
      {
        orders: { 'order-o-1': unreadable },
        recorded: {
          c0: committed('order-o-1', 'h-c0', 1, 2),
        },
      },
      cmd('c0', place('o-1')),
      cmd('c1', complete('o-1')),
      cmd('c2', place('o-2')),
      cmd('c3', cancel('o-1')),
    );
    expect(d.outcomes).toEqual([
      { kind: 'committed', version: 1, position: 2 },
      { kind: 'unreadable', cause: 'unknown event type OrderArchived' },
      { kind: 'accepted', append: 0 },
      { kind: 'unreadable', cause: 'unknown event type OrderArchived' },
    ]);
    expect(appendsOf(d)).toEqual([[2, 'order-o-2', 0, ['OrderPlaced']]]);
    expect(d.refusals).toEqual([]);
  });

  it('is deterministic and leaves what it was given unchanged', () => {
    const orders = new Map([['order-o-1', stream(placedEvent('o-1'))]]);
    const recorded = new Map<string, RecordedCommand>();
    const batch = [cmd('c1', complete('o-1')), cmd('c2', cancel('o-1'))];
    const once = decideBatch(batch, orders, recorded);
    expect(decideBatch(batch, orders, recorded)).toEqual(once);
    expect(orders.get('order-o-1')).toMatchObject({ version: 1, state: { status: 'placed' } });
    expect(once.outcomes[1]).toMatchObject({ kind: 'refused', error: { status: 'completed' } });
  });
});

describe('loadedOrder: a stream as the decision reads it (pure)', () => {
  it('folds the upcast events; the version is their count', () => {
    expect(stream(placedEvent('o-1'), completedEvent('o-1'))).toMatchObject({
      version: 2,
      state: { status: 'completed', orderId: 'o-1', completedAt: T1 },
    });
    expect(loadedOrder([])).toEqual({ version: 0, state: { status: 'none' } });
  });

  it('names an event of a newer schema version as unreadable', () => {
    expect(loadedOrder([{ ...placedEvent('o-1'), schemaVersion: 2 }])).toEqual({
      unreadable: 'OrderPlaced v2 is newer than this code understands (v1)',
    });
  });

  it('throws on an event that cannot follow the state (a bug, not the order’s problem)', () => {
    expect(() => stream(placedEvent('o-1'), completedEvent('o-1'), completedEvent('o-1'))).toThrow(
      InvalidEventError,
    );
  });
});
