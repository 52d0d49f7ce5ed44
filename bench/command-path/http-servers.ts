// The HTTP servers in the bench process: the API under test (timed per request), its read
// side's clients, and the empty-workflow endpoint of the engine floor.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client as EsClient } from '@elastic/elasticsearch';
import { type Client, WithStartWorkflowOperation } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { COMMAND_TYPE, ORDER_ID } from '../../contracts/search-attributes';
import { createPool } from '../../eventstore';
import { emptyUpdate, type emptyWorkflow } from '../fixtures/empty-workflow';
import { onCleanup } from './cleanups';
import { newId } from './load';
import { failFastRedis } from './report-data-set';
import { BENCH_DATABASE_URL, EMPTY_TASK_QUEUE, REDIS_URL } from './settings';

export interface ReadSide {
  pool: pg.Pool;
  redis: Redis;
  es: EsClient;
}

/** The API's clients: the bench database, Redis db 3, Elasticsearch; closed at cleanup. */
export function openReadSide(): ReadSide {
  const pool = createPool(BENCH_DATABASE_URL, 4);
  const redis = failFastRedis(REDIS_URL);
  const es = new EsClient({ node: 'http://127.0.0.1:9200', requestTimeout: 10_000 });
  onCleanup(async () => {
    await Promise.allSettled([pool.end(), es.close()]);
    redis.disconnect();
  });
  return { pool, redis, es };
}

/**
 * The same request handler in a server that also times each request from its arrival to the
 * end of the response (the API's own time, as opposed to what the client waited).
 */
export function timedServer(inner: http.Server, times: number[]): http.Server {
  const handlers = inner.listeners('request') as http.RequestListener[];
  return http.createServer((req, res) => {
    const t = performance.now();
    const timedPost = req.method === 'POST';
    res.on('finish', () => {
      if (timedPost) times.push(performance.now() - t);
    });
    for (const h of handlers) h(req, res);
  });
}

/** Listens on a free port of 127.0.0.1 until cleanup; the base URL. */
export async function startHttp(server: http.Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  onCleanup(() => new Promise((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${address.port}`;
}

/** POST {"id": "…"}: update-with-start of the empty workflow, answered when the update is. */
export function emptyWorkflowServer(client: Client): http.Server {
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      let id: string;
      try {
        id = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string }).id;
      } catch {
        return reply(400, { error: 'body must be {"id": "…"}' });
      }
      // The same start options as the command path (api/command-bus.ts), search attributes
      // included: only the workflow differs.
      const startWorkflowOperation = new WithStartWorkflowOperation<typeof emptyWorkflow>(
        'emptyWorkflow',
        {
          workflowId: `benchcmd-empty-${id}`,
          taskQueue: EMPTY_TASK_QUEUE,
          args: [id],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
          typedSearchAttributes: [
            { key: ORDER_ID, value: `o-${id}` },
            { key: COMMAND_TYPE, value: 'Empty' },
          ],
        },
      );
      client.workflow
        .executeUpdateWithStart(emptyUpdate, {
          args: [id],
          updateId: newId(),
          startWorkflowOperation,
        })
        .then(
          (value) => reply(200, { result: value }),
          (err: unknown) => reply(500, { error: err instanceof Error ? err.message : String(err) }),
        );
    });
  });
}
