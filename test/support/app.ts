import { DefaultLogger, Runtime } from '@temporalio/worker';
import type pg from 'pg';
import { expect } from 'vitest';
import { parseTokens } from '../../api/auth';
import { createOrdersClient, type OrdersClient } from '../../api/client';
import type { OidcVerifier } from '../../api/oidc';
import type { PartitionBusOptions } from '../../api/partition-bus';
import { createApiServer } from '../../api/server';
import { config } from '../../config/env';
import { projectorStateQuery } from '../../contracts/projection-controls';
import { QUEUE_KINDS, type QueueKind } from '../../contracts/task-queues';
import { READ_MODELS } from '../../domain';
import { type Connections, openConnections } from '../../temporal/connections';
import { temporalMetricsTelemetry } from '../../temporal/logging';
import { projectorWorkflowId } from '../../temporal/projectors';
import { createWorkers, type RunningWorkers, type WorkerDeps } from '../../temporal/worker';
import { Contract, checkingFetch } from './openapi-contract';

export const TOKENS = {
  reader: 'reader-token-0123456789',
  writer: 'writer-token-0123456789',
  admin: 'admin-token-01234567890',
};

let runtimeInstalled = false;

/**
 * A test that reads right after a command needs the projectors on these workers: a query
 * runs a workflow task, which waits until a worker has the projector (after an earlier test
 * file's workers stopped, its task may first have to leave their sticky queue).
 */
async function projectorsAnswering(connections: Connections): Promise<void> {
  for (const readModel of READ_MODELS) {
    await connections.temporal.workflow
      .getHandle(projectorWorkflowId(readModel))
      .query(projectorStateQuery);
  }
}

export interface TestApp {
  url: string;
  connections: Connections;
  workers: RunningWorkers;
  /** /openapi.json, as the tests check answers against it. */
  contract: Contract;
  /** fetch, with every answer of /trpc/ (batches too) and /api/ checked against the document. */
  fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  client(role: keyof typeof TOKENS): OrdersClient;
  stop(): Promise<void>;
}

/** The real API on an ephemeral port plus real workers, against the real stack. */
export async function startTestApp(
  queues: QueueKind[] = [...QUEUE_KINDS],
  options: {
    workerPool?: pg.Pool;
    commandPath?: PartitionBusOptions;
    maxBatchSize?: number;
    maxInflightPerToken?: number;
    retentionMonths?: number;
    healthMaxLagSeconds?: number;
    /** host:port for the Temporal SDK's Prometheus exporter (first app of the file only). */
    temporalMetricsAddress?: string;
    /** Webhook delivery settings for the workers (and the API's private-URL rule). */
    webhooks?: WorkerDeps['webhooks'];
    /** People's tokens from an identity provider (test/support/oidc-provider.ts). */
    oidc?: OidcVerifier;
  } = {},
): Promise<TestApp> {
  if (!runtimeInstalled) {
    Runtime.install({
      logger: new DefaultLogger('WARN'),
      ...(options.temporalMetricsAddress
        ? { telemetryOptions: temporalMetricsTelemetry(options.temporalMetricsAddress) }
        : {}),
    });
    runtimeInstalled = true;
  }
  // Without workers this process is the API alone (the fault suite): bounded like the API.
  const connections = await openConnections(queues.length === 0 ? 'api' : 'worker');
  const workers = await createWorkers(queues, {
    ...connections,
    pool: options.workerPool ?? connections.pool,
    commandPool: options.workerPool,
    ...(options.webhooks ? { webhooks: options.webhooks } : {}),
  });
  const running = workers.run();
  if (queues.includes('projections')) await projectorsAnswering(connections);
  const server = await createApiServer({
    deps: {
      ...connections,
      esPrefix: config().ES_INDEX_PREFIX,
      redisPrefix: config().REDIS_KEY_PREFIX,
      reportTimeZone: config().REPORT_TIMEZONE,
      ...(options.commandPath ? { commandPath: options.commandPath } : {}),
      ...(options.retentionMonths ? { retentionMonths: options.retentionMonths } : {}),
      ...(options.webhooks?.allowPrivateUrls !== undefined
        ? { subscriptionsAllowPrivateUrls: options.webhooks.allowPrivateUrls }
        : {}),
    },
    tokens: parseTokens(
      Object.entries(TOKENS)
        .map(([r, t]) => `${r}:${t}`)
        .join(','),
    ),
    ...(options.oidc ? { oidc: options.oidc } : {}),
    maxBodyBytes: 64 * 1024,
    maxBatchSize: options.maxBatchSize ?? config().API_MAX_BATCH_SIZE,
    maxInflightPerToken: options.maxInflightPerToken ?? config().API_MAX_INFLIGHT_PER_TOKEN,
    ...(options.healthMaxLagSeconds ? { healthMaxLagSeconds: options.healthMaxLagSeconds } : {}),
  });
  const address = await server.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${address.port}`;
  // Every answer the typed client gets is checked against /openapi.json.
  const contract = await Contract.load(url);
  const violations: string[] = [];
  const fetchChecked = checkingFetch(() => contract, violations);
  return {
    url,
    connections,
    workers,
    contract,
    fetch: fetchChecked,
    client: (role) =>
      createOrdersClient({ url: `${url}/trpc`, token: TOKENS[role], fetch: fetchChecked }),
    async stop() {
      await server.close(0);
      await workers.shutdown();
      await running;
      await connections.close();
      expect(violations, 'answers that do not fit /openapi.json').toEqual([]);
    },
  };
}
