import { randomUUID } from 'node:crypto';
import { TRPCClientError } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import type { AppRouter } from '../api/client';
import { EventStore } from '../eventstore';
import { createPool } from '../eventstore/pool';
import { orderCommandWorkflowId, orderStreamId } from '../workflows/order-command-contract';
import { startTestApp } from './support/app';

const input = (commandId: string) => ({
  commandId,
  customerId: 'c-1',
  region: 'eu',
  currency: 'EUR',
  items: [{ productId: 'p-1', quantity: 1, unitPriceMinor: 100 }],
});

describe('command workflow when the event store is unreachable', () => {
  it('answers SERVICE_UNAVAILABLE, saves nothing, and the same command id succeeds later', async () => {
    const commandId = randomUUID();
    // A real pool pointed at a port where nothing listens: every query is refused.
    const unreachable = createPool('postgresql://orders:orders@127.0.0.1:1/orders', 2);
    const broken = await startTestApp(['commands'], { workerPool: unreachable });
    try {
      const err = await broken
        .client('writer')
        .orders.place.mutate(input(commandId))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TRPCClientError);
      expect((err as TRPCClientError<AppRouter>).data?.code).toBe('SERVICE_UNAVAILABLE');
      const run = await broken.connections.temporal.workflow
        .getHandle(orderCommandWorkflowId(commandId))
        .describe();
      expect(run.status.name).toBe('FAILED');
    } finally {
      await broken.stop();
      await unreachable.end();
    }

    const healthy = await startTestApp(['commands']);
    try {
      const reply = await healthy.client('writer').orders.place.mutate(input(commandId));
      expect(reply.version).toBe(1);
      const store = new EventStore(healthy.connections.pool);
      expect(await store.readStream(orderStreamId(reply.orderId))).toHaveLength(1);
    } finally {
      await healthy.stop();
    }
  }, 90_000);
});
