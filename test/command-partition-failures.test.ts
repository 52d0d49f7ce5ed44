import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppRouter } from '../api/client';
import { payloadHash } from '../api/command-hash';
import {
  commandPartitionWorkflowId,
  PARTITION_DRAINING,
  submitCommandsUpdate,
} from '../contracts/command-partitions';
import type { OrderCommandInput } from '../contracts/order-commands';
import { COMMAND_PARTITION_STATUS } from '../contracts/search-attributes';
import { partitionOf } from '../domain';
import { orderStreamId } from '../domain/streams';
import { EventStore } from '../eventstore';
import { createPool } from '../eventstore/pool';
import { prefixedId } from '../temporal/task-queues';
import { startTestApp, type TestApp } from './support/app';
import { sendOne } from './support/partition-updates';
import { sampleValue, scrape, serveMetrics } from './support/prometheus-text';
import { waitFor } from './support/wait';

// Few partitions and a short deadline: a blocked partition shows as 503s within seconds.
const PATH = { partitions: 2, inflightPerPartition: 8, deadlineMs: 8_000 };
const REFUSING_CUSTOMER = 'c-refused-by-trigger';

let app: TestApp;
let metrics: { url: string; close(): Promise<void> };

const placeInput = (commandId: string, customerId = 'c-partition') => ({
  commandId,
  customerId,
  region: 'eu',
  currency: 'EUR',
  items: [{ productId: 'p-partition', quantity: 1, unitPriceMinor: 100 }],
});

/** A command id whose order lands on `partition`. */
function commandIdOn(partition: number): string {
  for (;;) {
    const id = randomUUID();
    if (partitionOf(`o-${id}`, PATH.partitions) === partition) return id;
  }
}

const refusal = (err: unknown) => {
  expect(err).toBeInstanceOf(TRPCClientError);
  return err as TRPCClientError<AppRouter>;
};

const unprocessableCount = async (reason: string) =>
  sampleValue(await scrape(metrics.url), 'orders_commands_unprocessable_total', { reason }) ?? 0;

async function partitionStatus(partition: number): Promise<string | undefined> {
  const handle = app.connections.temporal.workflow.getHandle(
    prefixedId(commandPartitionWorkflowId(partition)),
  );
  return (await handle.describe()).typedSearchAttributes.get(COMMAND_PARTITION_STATUS);
}

describe('a command its partition cannot process, whatever it retries', () => {
  beforeAll(async () => {
    app = await startTestApp(['commands'], { commandPath: PATH });
    metrics = await serveMetrics();
  });
  // Before the next describe's workers: no healthy worker may serve the commands queue then.
  afterAll(async () => {
    await metrics?.close();
    await app?.stop();
  });

  it('an order holding an event type this code does not know (a rolling deploy): that command is refused with 500 naming the cause, the partition serves the next', async () => {
    const writer = app.client('writer');
    const poisoned = await writer.orders.place.mutate(placeInput(randomUUID()));
    const partition = partitionOf(poisoned.orderId, PATH.partitions);
    // What a newer version of the code would have written to the order's stream.
    const store = new EventStore(app.connections.pool);
    await store.append(
      orderStreamId(poisoned.orderId),
      1,
      [{ type: 'OrderArchived', schemaVersion: 1, data: { reason: 'from a newer deploy' } }],
      {
        commandId: randomUUID(),
        commandType: 'ArchiveOrder',
        payloadHash: 'test',
        metadata: {
          correlationId: randomUUID(),
          causationId: randomUUID(),
          actor: 'test:newer-deploy',
          occurredAt: new Date().toISOString(),
        },
      },
    );
    const before = await unprocessableCount('unknown_event');
    try {
      const completing = writer.orders.complete
        .mutate({ orderId: poisoned.orderId })
        .catch((e: unknown) => e);
      // Queued on the same partition behind it.
      await new Promise((r) => setTimeout(r, 300));
      const other = await writer.orders.place
        .mutate(placeInput(commandIdOn(partition)))
        .catch((e: unknown) => e);
      expect(other).not.toBeInstanceOf(Error);
      expect(other).toMatchObject({ version: 1 });

      const err = refusal(await completing);
      expect(err.data?.code).toBe('INTERNAL_SERVER_ERROR');
      expect(err.data?.reason).toBe('CommandUnprocessable');
      expect(err.message).toMatch(/unknown event type OrderArchived/);
      expect(err.message).toMatch(/nothing was saved/);
      // Not a final outcome: once the code understands the order, the same command id runs.
      const { rows } = await app.connections.pool.query(
        'select count(*)::int as n from command_refusals where stream_id = $1',
        [orderStreamId(poisoned.orderId)],
      );
      expect(rows[0].n).toBe(0);
      expect(await unprocessableCount('unknown_event')).toBe(before + 1);
      expect(await partitionStatus(partition)).toBe('refusing');
    } finally {
      await app.connections.pool.query(
        "delete from events where stream_id = $1 and event_type = 'OrderArchived'",
        [orderStreamId(poisoned.orderId)],
      );
    }
  }, 60_000);

  it('PostgreSQL refusing the append with a SQLSTATE outside class 22 (a constraint): refused, the partition keeps serving', async () => {
    // A constraint the store enforces for one customer only, so nothing else of the run is hit.
    const pool = app.connections.pool;
    await pool.query(`
      create or replace function test_refuse_customer() returns trigger language plpgsql as $$
      begin
        if new.data->>'customerId' = '${REFUSING_CUSTOMER}' then
          raise exception 'customer % is closed', new.data->>'customerId' using errcode = '23514';
        end if;
        return new;
      end $$`);
    await pool.query(
      'create trigger test_refuse_customer before insert on events for each row execute function test_refuse_customer()',
    );
    const before = await unprocessableCount('store_refused');
    try {
      const writer = app.client('writer');
      const refusedId = commandIdOn(0);
      const refusing = writer.orders.place
        .mutate(placeInput(refusedId, REFUSING_CUSTOMER))
        .catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 300));
      const other = await writer.orders.place
        .mutate(placeInput(commandIdOn(0)))
        .catch((e: unknown) => e);
      expect(other).not.toBeInstanceOf(Error);
      expect(other).toMatchObject({ version: 1 });

      const err = refusal(await refusing);
      expect(err.data?.code).toBe('INTERNAL_SERVER_ERROR');
      expect(err.data?.reason).toBe('CommandUnprocessable');
      expect(err.message).toMatch(/customer c-refused-by-trigger is closed/);
      expect(err.message).toMatch(/SQLSTATE 23514/);
      const { rows } = await pool.query(
        'select count(*)::int as n from events where stream_id = $1',
        [orderStreamId(`o-${refusedId}`)],
      );
      expect(rows[0].n).toBe(0);
      expect(await unprocessableCount('store_refused')).toBe(before + 1);
    } finally {
      await pool.query('drop trigger if exists test_refuse_customer on events');
      await pool.query('drop function if exists test_refuse_customer()');
    }
  }, 60_000);
});

describe('a partition whose event store stays unreachable', () => {
  it('continues as new after its run’s bound of failed attempts: the queued command is told to resend, the history stops growing', async () => {
    const unreachable = createPool('postgresql://orders:orders@127.0.0.1:1/orders', 2);
    const broken = await startTestApp(['commands'], { workerPool: unreachable });
    const workflowId = prefixedId(`test-partition-stuck-${randomUUID()}`);
    try {
      const commandId = randomUUID();
      const body = placeInput(commandId);
      const input: OrderCommandInput = {
        commandId,
        payloadHash: payloadHash('orders.place', body),
        command: {
          type: 'PlaceOrder',
          orderId: `o-${commandId}`,
          customerId: body.customerId,
          region: body.region,
          currency: body.currency,
          items: body.items,
          at: new Date().toISOString(),
        },
        actor: 'writer:test',
        correlationId: randomUUID(),
      };
      const temporal = broken.connections.temporal;
      const state = { partition: 0, handledTotal: 0, updatesPerRun: 250, stuckRetriesPerRun: 2 };
      const update = sendOne(temporal, workflowId, state, input).catch((e: unknown) => e);
      const { runId } = await waitFor('the partition to start', () =>
        temporal.workflow.getHandle(workflowId).describe(),
      );
      // An array queued on the same stuck run: given back as a whole, each command marked.
      const secondId = randomUUID();
      const array = temporal.workflow
        .getHandle(workflowId)
        .executeUpdate(submitCommandsUpdate, {
          args: [
            [
              {
                ...input,
                commandId: secondId,
                command: { ...input.command, orderId: `o-${secondId}` },
              },
              input,
            ],
          ],
          updateId: randomUUID(),
        })
        .catch((e: unknown) => e);
      const first = temporal.workflow.getHandle(workflowId, runId, { followRuns: false });
      // Two failed attempts of ~12 s each (the local activity's own retries), 1 s apart.
      const status = await waitFor(
        'the stuck run to continue as new',
        async () => {
          const s = (await first.describe()).status.name;
          return s === 'CONTINUED_AS_NEW' ? s : undefined;
        },
        45_000,
      ).catch(async () => (await first.describe()).status.name);
      expect(status).toBe('CONTINUED_AS_NEW');
      const err = await update;
      expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
      const cause = (err as WorkflowUpdateFailedError).cause;
      expect(cause).toBeInstanceOf(ApplicationFailure);
      expect((cause as ApplicationFailure).type).toBe(PARTITION_DRAINING);
      expect(await array).toEqual([{ resend: true }, { resend: true }]);
      // The next run starts stuck-flagged (it is), with the same bound.
      const next = await temporal.workflow.getHandle(workflowId).describe();
      expect(next.runId).not.toBe(runId);
      expect(next.typedSearchAttributes.get(COMMAND_PARTITION_STATUS)).toBe('stuck');
    } finally {
      await broken.connections.temporal.workflow
        .getHandle(workflowId)
        .terminate('test finished')
        .catch(() => undefined);
      await broken.stop();
      await unreachable.end();
    }
  }, 90_000);
});
