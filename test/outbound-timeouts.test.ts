import { errors } from '@elastic/elasticsearch';
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Shorter than their defaults (2 s, 10 s), as an operator may set them: the test waits them
// out. config() is parsed once per process, so they are set before anything reads it.
vi.hoisted(() => {
  process.env.REDIS_COMMAND_TIMEOUT_MS = '1000';
  process.env.ELASTICSEARCH_REQUEST_TIMEOUT_MS = '2000';
});

import { withTemporalDeadline } from '../api/temporal-calls';
import { config } from '../config/env';
import { type Connections, openConnections } from '../temporal/connections';
import { waitFor } from './support/wait';

// The settings (config/env.ts), against the real servers: a call that gets no answer in
// time fails then, it does not wait on.
let connections: Connections;
beforeAll(async () => {
  expect(config()).toMatchObject({
    REDIS_COMMAND_TIMEOUT_MS: 1_000,
    ELASTICSEARCH_REQUEST_TIMEOUT_MS: 2_000,
  });
  connections = await openConnections('api');
  await waitFor('redis connected', async () =>
    connections.redis.status === 'ready' ? true : undefined,
  );
});
afterAll(async () => {
  await connections?.close();
});

describe('timeouts on outbound calls', () => {
  it('a Redis command unanswered for REDIS_COMMAND_TIMEOUT_MS fails', async () => {
    // BLPOP on an empty list blocks this connection only, for 3 s: more than the timeout.
    const timeout = config().REDIS_COMMAND_TIMEOUT_MS;
    const started = Date.now();
    await expect(
      connections.redis.blpop(`${config().REDIS_KEY_PREFIX}never-filled-${Date.now()}`, 3),
    ).rejects.toThrow(/timed out/i);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(timeout - 50);
    expect(waited).toBeLessThan(timeout + 2_000);
    // The connection serves again once the server is done with the blocked command.
    await waitFor('redis answering again', async () =>
      (await connections.redis.ping()) === 'PONG' ? true : undefined,
    );
  });

  it('an Elasticsearch request unanswered for ELASTICSEARCH_REQUEST_TIMEOUT_MS fails', async () => {
    // The server holds the answer until nine nodes join (never) or 60 s pass.
    const timeout = config().ELASTICSEARCH_REQUEST_TIMEOUT_MS;
    const started = Date.now();
    await expect(
      connections.es.cluster.health({ wait_for_nodes: '>=9', timeout: '60s' }, { maxRetries: 0 }),
    ).rejects.toBeInstanceOf(errors.TimeoutError);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(timeout - 50);
    expect(waited).toBeLessThan(timeout + 3_000);
  });

  it("the API's Temporal calls past their deadline answer SERVICE_UNAVAILABLE", async () => {
    const slow = withTemporalDeadline(
      connections.temporal,
      'a visibility count',
      () => connections.temporal.workflow.count('ExecutionStatus = "Running"'),
      1,
    );
    await expect(slow).rejects.toBeInstanceOf(TRPCError);
    await expect(slow).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    // Within the deadline the same call answers.
    const { count } = await withTemporalDeadline(connections.temporal, 'a visibility count', () =>
      connections.temporal.workflow.count('ExecutionStatus = "Running"'),
    );
    expect(count).toBeGreaterThanOrEqual(0);
  });
});
