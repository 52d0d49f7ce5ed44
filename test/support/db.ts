import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { config } from '../../config/env';
import { type AppendOptions, createPool } from '../../eventstore';

export function testPool(max = 30): pg.Pool {
  return createPool(config().DATABASE_URL, max);
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
