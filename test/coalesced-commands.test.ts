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
  type PartitionCommandResult,
  type PartitionState,
  submitCommandUpdate,
  UPDATE_MAX_BYTES,
  UPDATE_MAX_COMMANDS,
  UPDATE_REFUSED,
  updateBytes,
} from '../contracts/command-partitions';
import type { OrderCommandInput } from '../contracts/order-commands';
import type { OrderCommand } from '../domain';
import { orderStreamId } from '../domain/streams';
import { EventStore } from '../eventstore';
import { commandUpdateSize } from '../runtime/metrics';
import { prefixedId } from '../temporal/task-queues';
import { startTestApp, type TestApp } from './support/app';
import { sendArray as sendArrayTo } from './support/partition-updates';

// Commands coalesced per partition: every command queued in the API for a partition goes out
// in ONE update carrying an array, and each caller still gets its own answer. One partition,
// small caps, so the arrays and their limits show with a few dozen commands.
const CAPS = { maxCommands: 10, maxBytes: 8_000 };
const PATH = { partitions: 1, inflightPerPartition: 1, deadlineMs: 20_000, caps: CAPS };

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp(['commands'], { commandPath: PATH });
}, 60_000);
afterAll(() => app?.stop());

const partitionId = () => prefixedId(commandPartitionWorkflowId(0));

const placeBody = (commandId: string, customerId = 'c-coalesce') => ({
  commandId,
  customerId,
  region: 'eu',
  currency: 'EUR',
  items: [{ productId: 'p-coalesce', quantity: 1, unitPriceMinor: 250 }],
});

/** A command as the API builds it from `body` (procedure orders.place or orders.complete). */
function input(procedure: string, body: Record<string, unknown>, command: OrderCommand) {
  const commandId = String(body.commandId);
  return {
    commandId,
    payloadHash: payloadHash(procedure, body),
    command,
    actor: 'writer:test',
    correlationId: randomUUID(),
  } satisfies OrderCommandInput;
}
const at = () => new Date().toISOString();
function place(commandId: string = randomUUID(), customerId = 'c-coalesce'): OrderCommandInput {
  const body = placeBody(commandId, customerId);
  const { commandId: _, ...rest } = body;
  return input('orders.place', body, {
    type: 'PlaceOrder',
    orderId: `o-${commandId}`,
    ...rest,
    at: at(),
  });
}
function complete(orderId: string, commandId: string = randomUUID()): OrderCommandInput {
  return input(
    'orders.complete',
    { commandId, orderId },
    { type: 'CompleteOrder', orderId, at: at() },
  );
}

/** One array sent to a partition (the app's by default) the way the API sends it. */
function sendArray(
  inputs: OrderCommandInput[],
  workflowId = partitionId(),
  state: PartitionState = { partition: 0, handledTotal: 0 },
): Promise<PartitionCommandResult[]> {
  return sendArrayTo(app.connections.temporal, workflowId, state, inputs);
}

/** The updates the partition's current run accepted: their names and arguments. */
async function acceptedUpdates(): Promise<{ name: string; args: unknown[] }[]> {
  const history = await app.connections.temporal.workflow.getHandle(partitionId()).fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const request = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
    if (!request?.name) return [];
    const args = (request.args?.payloads ?? []).map((p) =>
      JSON.parse(Buffer.from(p.data ?? new Uint8Array()).toString('utf8')),
    );
    return [{ name: request.name, args }];
  });
}

const eventsOf = async (orderId: string) =>
  (await new EventStore(app.connections.pool).readStream(orderStreamId(orderId))).length;

describe('coalesced commands through the API', () => {
  it('many callers at once on one partition: each gets its own reply, carried by far fewer updates, each within the caps', async () => {
    const writer = app.client('writer');
    const sizes = async () => {
      const values = (await commandUpdateSize.get()).values;
      const of = (name: string) => values.find((v) => v.metricName === name)?.value ?? 0;
      return {
        updates: of('orders_command_update_commands_count'),
        commands: of('orders_command_update_commands_sum'),
      };
    };
    const before = await sizes();
    const ids = Array.from({ length: 60 }, () => randomUUID());
    const placed = await Promise.all(ids.map((id) => writer.orders.place.mutate(placeBody(id))));
    placed.forEach((reply, i) => {
      expect(reply).toMatchObject({ commandId: ids[i], orderId: `o-${ids[i]}`, version: 1 });
    });
    expect(new Set(placed.map((r) => r.position)).size).toBe(ids.length);
    // The second command of each order, all at once again.
    const completed = await Promise.all(
      placed.map((r) => writer.orders.complete.mutate({ orderId: r.orderId })),
    );
    completed.forEach((reply, i) => {
      expect(reply).toMatchObject({ orderId: placed[i]?.orderId, version: 2 });
    });

    const ours = new Set(ids.map((id) => `o-${id}`));
    const carrying = (await acceptedUpdates()).filter(
      (u) =>
        u.name === 'submitCommands' &&
        (u.args[0] as OrderCommandInput[]).some((c) => ours.has(c.command.orderId)),
    );
    const carried = carrying.flatMap((u) => u.args[0] as OrderCommandInput[]);
    expect(carried.filter((c) => ours.has(c.command.orderId))).toHaveLength(2 * ids.length);
    // One in flight per partition: while it runs, the next array fills (3+ commands on average).
    expect(carrying.length).toBeLessThanOrEqual((2 * ids.length) / 3);
    for (const u of carrying) {
      const inputs = u.args[0] as OrderCommandInput[];
      expect(inputs.length).toBeLessThanOrEqual(CAPS.maxCommands);
      expect(updateBytes(inputs)).toBeLessThanOrEqual(CAPS.maxBytes);
    }
    // What operators see of it: orders_command_update_commands.
    const after = await sizes();
    expect(after.commands - before.commands).toBe(2 * ids.length);
    expect(after.updates - before.updates).toBe(carrying.length);
  }, 60_000);

  it('a command id resent later through the API answers the first reply and appends nothing', async () => {
    const writer = app.client('writer');
    const id = randomUUID();
    const first = await writer.orders.place.mutate(placeBody(id));
    const again = await Promise.all([
      writer.orders.place.mutate(placeBody(id)),
      writer.orders.place.mutate(placeBody(id)),
    ]);
    expect(again).toEqual([first, first]);
    const other = await writer.orders.place
      .mutate(placeBody(id, 'c-someone-else'))
      .catch((e: unknown) => e);
    expect(other).toBeInstanceOf(TRPCClientError);
    expect((other as TRPCClientError<AppRouter>).data?.code).toBe('CONFLICT');
    expect(await eventsOf(first.orderId)).toBe(1);
  }, 30_000);
});

describe('one array, each command its own result', () => {
  it('a duplicate command id in the same array answers like its first copy; another payload under it is a conflict; a refusal in the middle touches no other', async () => {
    const a = place();
    const b = place();
    const sameIdOtherPayload = place(a.commandId, 'c-other');
    const missing = complete(`o-${randomUUID()}`);
    const results = await sendArray([a, a, sameIdOtherPayload, missing, b]);
    expect(results).toHaveLength(5);
    const [ra, raAgain, rConflict, rMissing, rb] = results;
    expect(ra).toMatchObject({ ok: true, reply: { orderId: a.command.orderId, version: 1 } });
    expect(raAgain).toEqual(ra);
    expect(rConflict).toMatchObject({ ok: false, error: { code: 'CommandIdConflict' } });
    expect(rMissing).toMatchObject({ ok: false, error: { code: 'OrderNotFound' } });
    expect(rb).toMatchObject({ ok: true, reply: { orderId: b.command.orderId, version: 1 } });
    expect(await eventsOf(a.command.orderId)).toBe(1);

    // The same array sent again later (a resend): the same answers, nothing appended twice.
    expect(await sendArray([a, a, sameIdOtherPayload, missing, b])).toEqual(results);
    expect(await eventsOf(a.command.orderId)).toBe(1);
    expect(await eventsOf(b.command.orderId)).toBe(1);
  }, 30_000);

  it('commands of one order in one array are decided in order: place then complete', async () => {
    const p = place();
    const [rp, rc] = await sendArray([p, complete(p.command.orderId)]);
    expect(rp).toMatchObject({ ok: true, reply: { version: 1 } });
    expect(rc).toMatchObject({ ok: true, reply: { version: 2 } });
  }, 30_000);

  it('an array over the byte or the count cap is refused before it is recorded; the partition keeps serving', async () => {
    // ~12 KiB each: 100 lines with long product ids.
    const big = () => {
      const c = place();
      if (c.command.type !== 'PlaceOrder') throw new Error('a place');
      c.command.items = Array.from({ length: 100 }, (_, i) => ({
        productId: `p-${i}-${'x'.repeat(56)}`,
        quantity: 1,
        unitPriceMinor: 1,
      }));
      return c;
    };
    const tooBig = Array.from({ length: 24 }, big);
    expect(updateBytes(tooBig)).toBeGreaterThan(UPDATE_MAX_BYTES);
    const tooMany = Array.from({ length: UPDATE_MAX_COMMANDS + 1 }, () => place());
    const before = (await acceptedUpdates()).length;
    for (const [inputs, problem] of [
      [tooBig, /at most 262144 bytes of commands/],
      [tooMany, /at most 100 commands/],
    ] as const) {
      const err = await sendArray(inputs).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
      const cause = (err as WorkflowUpdateFailedError).cause;
      expect(cause).toBeInstanceOf(ApplicationFailure);
      expect((cause as ApplicationFailure).type).toBe(UPDATE_REFUSED);
      expect((cause as ApplicationFailure).message).toMatch(problem);
    }
    expect((await acceptedUpdates()).length).toBe(before);
    expect(await eventsOf(tooBig[0]?.command.orderId ?? '')).toBe(0);
    const handle = app.connections.temporal.workflow.getHandle(partitionId());
    expect((await handle.describe()).status.name).toBe('RUNNING');
    const reply = await app.client('writer').orders.place.mutate(placeBody(randomUUID()));
    expect(reply.version).toBe(1);
  }, 30_000);

  it('a single-command update (what API processes sent before arrays) is still answered', async () => {
    const c = place();
    const reply = await app.connections.temporal.workflow
      .getHandle(partitionId())
      .executeUpdate(submitCommandUpdate, { args: [c], updateId: c.commandId });
    expect(reply).toMatchObject({
      orderId: c.command.orderId,
      version: 1,
      payloadHash: c.payloadHash,
    });
  }, 30_000);
});

describe('a run of arrays continues as new by the bytes of its history', () => {
  // 48 commands in 12 arrays: far below 250 commands, ~70 events and ~30 KB of history.
  it.each([
    ['a byte budget', { historyBytesPerRun: 12_000 }],
    ['an event cap', { historyBytesPerRun: 2 * 1024 * 1024, historyEventsPerRun: 40 }],
  ])(
    'a run started with %s continues as new once its history passes it (not after 250 commands), every command answered',
    async (_, budget) => {
      const workflowId = prefixedId(`test-partition-budget-${randomUUID()}`);
      const state = { partition: 0, handledTotal: 0, updatesPerRun: 250, ...budget };
      const temporal = app.connections.temporal;
      try {
        let firstRunId: string | undefined;
        for (let i = 0; i < 12; i++) {
          const inputs = Array.from({ length: 4 }, () => place());
          for (let attempt = 0; ; attempt++) {
            const results = await sendArray(inputs, workflowId, state).catch((e: unknown) => e);
            const cause = results instanceof WorkflowUpdateFailedError ? results.cause : undefined;
            if (
              cause instanceof ApplicationFailure &&
              cause.type === PARTITION_DRAINING &&
              attempt < 20
            ) {
              await new Promise((r) => setTimeout(r, 100));
              continue;
            }
            firstRunId ??= (await temporal.workflow.getHandle(workflowId).describe()).runId;
            expect(results).toHaveLength(4);
            for (const r of results as PartitionCommandResult[])
              expect(r).toMatchObject({ ok: true });
            break;
          }
        }
        // Only the budget under test can have ended the first run.
        const first = temporal.workflow.getHandle(workflowId, firstRunId, { followRuns: false });
        expect((await first.describe()).status.name).toBe('CONTINUED_AS_NEW');
        const next = await temporal.workflow.getHandle(workflowId).describe();
        expect(next.status.name).toBe('RUNNING');
      } finally {
        await temporal.workflow
          .getHandle(workflowId)
          .terminate('test finished')
          .catch(() => undefined);
      }
    },
    60_000,
  );
});
