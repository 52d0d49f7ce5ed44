import { randomUUID } from 'node:crypto';
import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppRouter } from '../api/client';
import {
  type CommandRunResult,
  type OrderCommandInput,
  orderCommandWorkflowId,
} from '../contracts/order-commands';
import { prefixedId, taskQueue } from '../temporal/task-queues';
import type { orderCommandWorkflowV2 } from '../workflows/order-command-v2';
import { startTestApp, type TestApp } from './support/app';

// One workflow per command: a repeated command id is answered by the first run's workflow
// until Temporal's retention deletes it; then the command runs again, in a new workflow.
// Such a new run is started here directly (deleting a closed run takes the server half a
// minute), with the input the API would send.
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp(['commands'], {
    commandPath: { partitions: 0, inflightPerPartition: 8, deadlineMs: 20_000 },
  });
});
afterAll(async () => {
  await app?.stop();
});

async function codeOf(call: Promise<unknown>): Promise<string | undefined> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof TRPCClientError)) throw new Error(`expected a refusal, got ${err}`);
  return (err as TRPCClientError<AppRouter>).data?.code;
}

/** The command run again in a workflow of its own: the first run's is gone. */
function runAgain(input: OrderCommandInput): Promise<CommandRunResult> {
  return app.connections.temporal.workflow.execute<typeof orderCommandWorkflowV2>(
    'orderCommandWorkflowV2',
    {
      workflowId: prefixedId(`after-retention-${randomUUID()}`),
      taskQueue: taskQueue('commands'),
      args: [input],
    },
  );
}

describe('refusals on the one-workflow-per-command path', () => {
  it('a refused command id keeps its refusal after its workflow is gone, even once the order changed', async () => {
    const writer = app.client('writer');
    const placeId = randomUUID();
    const orderId = `o-${placeId}`; // the id orders.place gives that command
    const commandId = randomUUID();
    expect(await codeOf(writer.orders.complete.mutate({ orderId, commandId }))).toBe('NOT_FOUND');
    const first = await app.connections.temporal.workflow
      .getHandle<typeof orderCommandWorkflowV2>(orderCommandWorkflowId(commandId))
      .result();
    expect(first).toMatchObject({ ok: false, error: { code: 'OrderNotFound' } });

    // The order now exists: the same command, decided again, would complete it.
    const placed = await writer.orders.place.mutate({
      commandId: placeId,
      customerId: 'c-retention',
      region: 'eu',
      currency: 'EUR',
      items: [{ productId: 'p-retention', quantity: 1, unitPriceMinor: 100 }],
    });
    expect(placed.orderId).toBe(orderId);

    const again: OrderCommandInput = {
      commandId,
      payloadHash: first.payloadHash,
      command: { type: 'CompleteOrder', orderId, at: new Date().toISOString() },
      actor: 'test',
      correlationId: randomUUID(),
    };
    // Same id, same payload: the first answer, from the event store.
    expect(await runAgain(again)).toMatchObject({
      ok: false,
      error: { code: 'OrderNotFound', orderId },
    });
    // Same id, another payload: a conflict.
    expect(await runAgain({ ...again, payloadHash: 'another-payload' })).toMatchObject({
      ok: false,
      error: { code: 'CommandIdConflict' },
    });
    const { rows } = await app.connections.pool.query(
      'select count(*)::int as n from events where metadata->>$1 = $2',
      ['commandId', commandId],
    );
    expect(rows[0].n).toBe(0);
    expect(await app.client('admin').admin.commands.get.query({ commandId })).toMatchObject({
      outcome: 'refused',
      error: { code: 'OrderNotFound' },
    });
  });
});
