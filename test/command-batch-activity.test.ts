import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, describe, expect, it } from 'vitest';
import { createCommandActivities } from '../activities/command-activities';
import { createCommandBatchActivities } from '../activities/command-batch-activities';
import { COMMAND_UNPROCESSABLE } from '../contracts/command-partitions';
import type { OrderCommandInput } from '../contracts/order-commands';
import { type DomainError, type OrderCommand, orderStreamId } from '../domain';
import { EventStore } from '../eventstore';
import { appendOptions, testPool } from './support/db';

// The partition's batch activity on the real event store, without Temporal: what one call
// stores and answers. (Through the partitions and the API: api-commands, command-partition-failures.)

const pool = testPool(5);
afterAll(() => pool.end());
const store = new EventStore(pool);
const batches = createCommandBatchActivities(store);

const T0 = '2025-10-01T10:00:00.000Z';
const input = (command: OrderCommand, commandId = randomUUID()): OrderCommandInput => ({
  commandId,
  payloadHash: `h-${commandId}`,
  command,
  actor: 'writer:test',
  correlationId: randomUUID(),
});
const place = (orderId = `o-${randomUUID()}`): OrderCommand => ({
  type: 'PlaceOrder',
  orderId,
  customerId: 'c-1',
  region: 'eu',
  currency: 'EUR',
  items: [{ productId: 'p-1', quantity: 1, unitPriceMinor: 100 }],
  at: T0,
});
const complete = (orderId: string): OrderCommand => ({ type: 'CompleteOrder', orderId, at: T0 });

/** The transaction ids that wrote these orders' events. */
async function writers(orderIds: string[]): Promise<string[]> {
  const { rows } = await pool.query<{ transaction_id: string }>(
    'select distinct transaction_id::text from events where stream_id = any($1::text[])',
    [orderIds.map(orderStreamId)],
  );
  return rows.map((r) => r.transaction_id);
}

describe('the command batch activity on the event store', () => {
  it('two commands on one order in one batch: both appended in one transaction, at versions 1 and 2; sent again, answered the same, nothing written twice', async () => {
    const orderId = `o-${randomUUID()}`;
    const batch = [input(place(orderId)), input(complete(orderId))];
    const first = await batches.decideAndAppendBatch(batch);
    expect(first).toMatchObject([
      { ok: true, reply: { orderId, version: 1 } },
      { ok: true, reply: { orderId, version: 2 } },
    ]);
    expect(await writers([orderId])).toHaveLength(1);
    expect(await batches.decideAndAppendBatch(batch)).toEqual(first);
    const { rows } = await pool.query(
      'select count(*)::int as n from events where stream_id = $1',
      [orderStreamId(orderId)],
    );
    expect(rows[0].n).toBe(2);
  });

  it('an order this code cannot read: its command is named unprocessable, the rest of the batch is stored in the batch’s one transaction', async () => {
    const poisoned = `o-${randomUUID()}`;
    await batches.decideAndAppendBatch([input(place(poisoned))]);
    // What a newer version of the code would have written to the order's stream.
    await store.append(
      orderStreamId(poisoned),
      1,
      [{ type: 'OrderArchived', schemaVersion: 1, data: {} }],
      appendOptions({ commandType: 'ArchiveOrder' }),
    );
    const stuck = input(complete(poisoned));
    const others = [input(place()), input(place())];
    const failure = await batches.decideAndAppendBatch([stuck, ...others]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: COMMAND_UNPROCESSABLE, nonRetryable: true });
    expect((failure as ApplicationFailure).details?.[0]).toEqual([
      {
        commandId: stuck.commandId,
        reason: 'unknown_event',
        message: expect.stringMatching(/unknown event type OrderArchived.*nothing was saved/),
      },
    ]);
    expect(await writers(others.map((o) => o.command.orderId))).toHaveLength(1);
    // The partition sends the others again without it: answered from the store.
    expect(await batches.decideAndAppendBatch(others)).toMatchObject([
      { ok: true, reply: { version: 1 } },
      { ok: true, reply: { version: 1 } },
    ]);
  });

  it('a refusal recorded meanwhile by another run of the same command id is the answer on both paths: the first record wins', async () => {
    const orderId = `o-${randomUUID()}`;
    const theirs: DomainError = {
      code: 'InvalidTransition',
      orderId,
      status: 'cancelled',
      command: 'CompleteOrder',
      message: `cannot complete order ${orderId}: it is cancelled`,
    };
    /** A store where another run records its refusal of the same command id first. */
    class Raced extends EventStore {
      override async recordRefusals(
        refusals: Parameters<EventStore['recordRefusals']>[0],
      ): Promise<void> {
        await super.recordRefusals(refusals.map((r) => ({ ...r, error: theirs })));
        return super.recordRefusals(refusals);
      }
    }
    const raced = new Raced(pool);
    const batch = input(complete(orderId));
    expect(await createCommandBatchActivities(raced).decideAndAppendBatch([batch])).toEqual([
      { ok: false, error: theirs },
    ]);
    const single = input(complete(orderId));
    expect(await createCommandActivities(raced).loadOrder(single)).toEqual({
      kind: 'refused',
      error: theirs,
    });
  });
});
