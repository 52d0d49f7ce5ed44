import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { config } from '../../config/env';
import { type AppendOptions, createPool } from '../../eventstore';
import { waitFor } from './wait';

export function testPool(max = 30): pg.Pool {
  return createPool(config().DATABASE_URL, max);
}

/**
 * Waits until every transaction open when called has ended, in the whole PostgreSQL cluster:
 * then all that was committed before the call is readable in the global order. Readers stop
 * at the oldest transaction still open, whatever its database, and the files running beside
 * this one have theirs (in their own databases of the same cluster).
 */
export async function readersCaughtUp(pool: pg.Pool): Promise<void> {
  const { rows } = await pool.query<{ next: string }>(
    'select pg_snapshot_xmax(pg_current_snapshot())::text as next',
  );
  const next = rows[0]?.next ?? '0';
  await waitFor(
    `every transaction below ${next} ended`,
    async () => {
      const { rows: now } = await pool.query<{ ended: boolean }>(
        'select pg_snapshot_xmin(pg_current_snapshot()) >= $1::xid8 as ended',
        [next],
      );
      return now[0]?.ended ? true : undefined;
    },
    30_000,
    10,
  );
}

export function uniqueStream(prefix = 'test'): string {
  return `${prefix}-${randomUUID()}`;
}

export function appendOptions(over: Partial<AppendOptions> = {}): AppendOptions {
  return {
    commandId: randomUUID(),
    commandType: 'TestCommand',
    payloadHash: 'hash-a',
    metadata: {
      correlationId: randomUUID(),
      causationId: randomUUID(),
      actor: 'test',
      occurredAt: '2025-10-01T00:00:00.000Z',
    },
    ...over,
  };
}
