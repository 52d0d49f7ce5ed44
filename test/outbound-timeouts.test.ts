import { errors } from '@elastic/elasticsearch';
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTemporalDeadline } from '../api/temporal-calls';
import { config } from '../config/env';
import { type Connections, openConnections } from '../temporal/connections';
import { waitFor } from './support/wait';

// The settings' defaults (config/env.ts), against the real servers: a call that gets no
// answer in time fails, it does not wait on.
let connections: Connections;
beforeAll(async () => {
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
    // BLPOP on an empty list blocks this connection only, for 6 s: more than the timeout.
    const started = Date.now();
    await expect(
      connections.redis.blpop(`${config().REDIS_KEY_PREFIX}never-filled-${Date.now()}`, 6),
    ).rejects.toThrow(/timed out/i);
    expect(Date.now() - started).toBeLessThan(config().REDIS_COMMAND_TIMEOUT_MS + 2_000);
    // The connection serves again once the server is done with the blocked command.
    await waitFor('redis answering again', async () =>
      (await connections.redis.ping()) === 'PONG' ? true : undefined,
    );
  });

  it('an Elasticsearch request unanswered for ELASTICSEARCH_REQUEST_TIMEOUT_MS fails', async () => {
    // The server holds the answer until nine nodes join (never) or 60 s pass.
    const started = Date.now();
    await expect(
      connections.es.cluster.health({ wait_for_nodes: '>=9', timeout: '60s' }, { maxRetries: 0 }),
    ).rejects.toBeInstanceOf(errors.TimeoutError);
    expect(Date.now() - started).toBeLessThan(config().ELASTICSEARCH_REQUEST_TIMEOUT_MS + 3_000);
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
