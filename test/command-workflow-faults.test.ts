import { randomUUID } from 'node:crypto';
import { TRPCClientError } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import type { AppRouter } from '../api/client';
import { config } from '../config/env';
import { commandPartitionWorkflowId } from '../contracts/command-partitions';
import { COMMAND_PARTITION_STATUS } from '../contracts/search-attributes';
import { partitionOf } from '../domain';
import { orderStreamId } from '../domain/streams';
import { EventStore } from '../eventstore';
import { createPool } from '../eventstore/pool';
import { prefixedId } from '../temporal/task-queues';
import { startTestApp } from './support/app';
import { waitFor } from './support/wait';

const input = (commandId: string) => ({
  commandId,
  customerId: 'c-1',
  region: 'eu',
  currency: 'EUR',
  items: [{ productId: 'p-1', quantity: 1, unitPriceMinor: 100 }],
});

describe('commands while the event store is unreachable', () => {
  it('answer SERVICE_UNAVAILABLE within the deadline, save nothing, and the same command id succeeds once later', async () => {
    const commandId = randomUUID();
    // A real pool pointed at a port where nothing listens: every query is refused.
    const unreachable = createPool('postgresql://orders:orders@127.0.0.1:1/orders', 2);
    // COMMAND_DEADLINE_MS of 5 s, as an operator may set it (the default 20 s was waited out).
    const deadlineMs = 5_000;
    const broken = await startTestApp(['commands'], {
      workerPool: unreachable,
      commandPath: {
        partitions: config().COMMAND_PARTITIONS,
        inflightPerPartition: config().COMMAND_INFLIGHT_PER_PARTITION,
        deadlineMs,
      },
    });
    try {
      const sent = performance.now();
      const err = await broken
        .client('writer')
        .orders.place.mutate(input(commandId))
        .catch((e: unknown) => e);
      expect(performance.now() - sent).toBeLessThan(deadlineMs + 2_000);
      expect(err).toBeInstanceOf(TRPCClientError);
      expect((err as TRPCClientError<AppRouter>).data?.code).toBe('SERVICE_UNAVAILABLE');
      expect((err as Error).message).toMatch(/retry with the same commandId/);
      // The partition holding it is flagged for operators while it cannot store it, once its
      // batch has used up its own retries (~12 s).
      const partition = broken.connections.temporal.workflow.getHandle(
        prefixedId(
          commandPartitionWorkflowId(partitionOf(`o-${commandId}`, config().COMMAND_PARTITIONS)),
        ),
      );
      const status = await waitFor(
        'the partition flagged stuck',
        async () => {
          const s = (await partition.describe()).typedSearchAttributes.get(
            COMMAND_PARTITION_STATUS,
          );
          return s === 'stuck' ? s : undefined;
        },
        30_000,
        250,
      ).catch(async () =>
        (await partition.describe()).typedSearchAttributes.get(COMMAND_PARTITION_STATUS),
      );
      expect(status).toBe('stuck');
      const { rows } = await broken.connections.pool.query(
        'select count(*)::int as n from commands where command_id = $1',
        [commandId],
      );
      expect(rows[0].n).toBe(0);
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
      // Resent once more: the same answer, nothing more stored.
      expect(await healthy.client('writer').orders.place.mutate(input(commandId))).toEqual(reply);
      expect(await store.readStream(orderStreamId(reply.orderId))).toHaveLength(1);
    } finally {
      await healthy.stop();
    }
  }, 90_000);
});
