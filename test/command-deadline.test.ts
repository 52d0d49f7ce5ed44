import { randomUUID } from 'node:crypto';
import { TRPCClientError } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import type { AppRouter } from '../api/client';
import { config } from '../config/env';
import { orderStreamId } from '../domain/streams';
import { EventStore } from '../eventstore';
import { startTestApp, TOKENS } from './support/app';

const DEADLINE_MS = 3_000;

const placeInput = (commandId: string) => ({
  commandId,
  customerId: 'c-deadline',
  region: 'eu',
  currency: 'EUR',
  items: [{ productId: 'p-deadline', quantity: 1, unitPriceMinor: 100 }],
});

const paths = [
  { name: 'partitioned', partitions: config().COMMAND_PARTITIONS },
  { name: 'one workflow per command', partitions: 0 },
];

describe.each(paths)('commands with no command worker running ($name)', ({ partitions }) => {
  const commandPath = { partitions, inflightPerPartition: 8, deadlineMs: DEADLINE_MS };

  it('answer 503 within the deadline (also a dozen resends at once), then the same command id returns the one order', async () => {
    const commandId = randomUUID();
    // The API alone: no worker polls the commands queue.
    const apiOnly = await startTestApp([], { commandPath });
    try {
      const writer = apiOnly.client('writer');
      const started = performance.now();
      const answers = await Promise.all(
        Array.from({ length: 12 }, () =>
          writer.orders.place.mutate(placeInput(commandId)).catch((e: unknown) => e),
        ),
      );
      const elapsed = performance.now() - started;
      for (const err of answers) {
        expect(err).toBeInstanceOf(TRPCClientError);
        expect((err as TRPCClientError<AppRouter>).data?.code).toBe('SERVICE_UNAVAILABLE');
        expect((err as Error).message).toMatch(/not known yet: retry with the same commandId/);
      }
      // The deadline, plus the HTTP round trip: never the hang it was.
      expect(elapsed).toBeLessThan(DEADLINE_MS + 2_000);
      // The REST route runs the same command under the same deadline and answers alike.
      const restStarted = performance.now();
      const rest = await fetch(`${apiOnly.url}/api/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKENS.writer}`, 'content-type': 'application/json' },
        body: JSON.stringify(placeInput(commandId)),
      });
      expect(performance.now() - restStarted).toBeLessThan(DEADLINE_MS + 2_000);
      expect(rest.status).toBe(503);
      expect(rest.headers.get('x-command-id')).toBe(commandId);
      const body = (await rest.json()) as { error: { message: string } };
      expect(body.error.message).toMatch(/not known yet: retry with the same commandId/);
      apiOnly.contract.checkRest('POST', '/api/orders', rest.status, body);
    } finally {
      await apiOnly.stop();
    }

    // Workers back: the command may have run meanwhile; the resend gets that one result.
    // With the default deadline: the partition's first task after a gap may wait out the
    // sticky queue of an earlier file's stopped worker (10 s) before a worker takes it.
    const withWorkers = await startTestApp(['commands'], {
      commandPath: { ...commandPath, deadlineMs: config().COMMAND_DEADLINE_MS },
    });
    try {
      const writer = withWorkers.client('writer');
      const reply = await writer.orders.place.mutate(placeInput(commandId));
      expect(reply).toMatchObject({ orderId: `o-${commandId}`, version: 1 });
      expect(await writer.orders.place.mutate(placeInput(commandId))).toEqual(reply);
      const store = new EventStore(withWorkers.connections.pool);
      expect(await store.readStream(orderStreamId(reply.orderId))).toHaveLength(1);
    } finally {
      await withWorkers.stop();
    }
  }, 60_000);
});
