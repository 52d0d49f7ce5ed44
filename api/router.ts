import type { Client } from '@temporalio/client';
import type pg from 'pg';
import type { ApiKeyTable } from './api-keys';
import type { ReadModelDeps } from './order-queries';
import type { PartitionBusOptions } from './partition-bus';
import { adminRouter } from './routers/admin';
import { apiKeysRouter } from './routers/api-keys';
import { auditRouter } from './routers/audit';
import { ordersRouter } from './routers/orders';
import { reportsRouter } from './routers/reports';
import { sessionRouter } from './routers/session';
import { subscriptionsRouter } from './routers/subscriptions';
import { router } from './trpc';

export interface AppDeps extends ReadModelDeps {
  temporal: Client;
  /** The event store's database: projector checkpoints (status, read-your-writes waits). */
  pool: pg.Pool;
  /** How commands reach Temporal (partitions, in-flight cap, deadline); config by default. */
  commandPath?: PartitionBusOptions;
  /** Read-model retention in months (reports before it are refused); config by default. */
  retentionMonths?: number;
  /** Whether subscriptions may target private addresses; config by default. */
  subscriptionsAllowPrivateUrls?: boolean;
  /** This process's table of API keys: a key changed here is applied before the call answers. */
  apiKeys?: ApiKeyTable;
}

export function createAppRouter(deps: AppDeps) {
  return router({
    orders: ordersRouter(deps),
    reports: reportsRouter(deps),
    admin: adminRouter(deps),
    subscriptions: subscriptionsRouter(deps),
    apiKeys: apiKeysRouter(deps),
    audit: auditRouter(deps),
    session: sessionRouter,
  });
}

/** The API's type, for typed clients. */
export type AppRouter = ReturnType<typeof createAppRouter>;
