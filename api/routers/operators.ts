import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { TRPCError } from '@trpc/server';
import { config } from '../../config/env';
import {
  parkedProjectionQuery,
  parkedProjectionWorkflowId,
  rebuildWorkflowId,
  retryProjectionSignal,
  skipProjectionSignal,
} from '../../contracts/projection-controls';
import { READ_MODELS, type ReadModel } from '../../domain/read-models';
import { reconcileMonth } from '../../projections/reconcile';
import { logger } from '../../runtime/logger';
import { projectorWorkflowId, runningParkedProjectionsQuery } from '../../temporal/projectors';
import { prefixedId } from '../../temporal/task-queues';
import { withEventStore } from '../event-store-calls';
import {
  parkedListOutput,
  parkedSignalOutput,
  reconcileOutput,
  temporalUiOutput,
} from '../outputs';
import { parkedProjectionInput, reconcileInput } from '../query-inputs';
import type { QueryDeps } from '../read-model-calls';
import { withTemporalDeadline } from '../temporal-calls';
import { type ApiMeta, adminProcedure, router } from '../trpc';

/** Parked orders listed at once: an operator acts on a few; a flood is for a rebuild. */
const PARKED_LIST_LIMIT = 100;

export interface ParkedEntry {
  workflowId: string;
  runId: string;
  readModel: ReadModel | null;
  orderId: string | null;
  /** The latest failure; null when no worker answered the workflow's query. */
  lastError: string | null;
  retries: number | null;
  parkedAt: string;
}

async function listParked(client: Client): Promise<ParkedEntry[]> {
  const query = runningParkedProjectionsQuery();
  const found: ParkedEntry[] = [];
  for await (const wf of client.workflow.list({ query })) {
    found.push({
      workflowId: wf.workflowId,
      runId: wf.runId,
      readModel: null,
      orderId: null,
      lastError: null,
      retries: null,
      parkedAt: wf.startTime.toISOString(),
    });
    if (found.length >= PARKED_LIST_LIMIT) break;
  }
  return Promise.all(
    found.map(async (entry) => {
      try {
        const state = await client.workflow
          .getHandle(entry.workflowId, entry.runId)
          .query(parkedProjectionQuery);
        return { ...entry, ...pick(state) };
      } catch (err) {
        // Parked before the query existed, or no worker polling: the list still shows it.
        logger.debug({ err, workflowId: entry.workflowId }, 'parked projection did not answer');
        return entry;
      }
    }),
  );
}

const pick = (s: {
  readModel: ReadModel;
  orderId: string;
  lastError: string;
  retries: number;
}) => ({
  readModel: s.readModel,
  orderId: s.orderId,
  lastError: s.lastError,
  retries: s.retries,
});

async function signalParked(
  client: Client,
  input: { readModel: ReadModel; orderId: string },
  action: 'retry' | 'skip',
): Promise<{ workflowId: string; signalled: 'retryProjection' | 'skipProjection' }> {
  const workflowId = prefixedId(parkedProjectionWorkflowId(input.readModel, input.orderId));
  const signal = action === 'retry' ? retryProjectionSignal : skipProjectionSignal;
  try {
    await client.workflow.getHandle(workflowId).signal(signal);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new TRPCError({
        code: 'NOT_FOUND',
        message: `order ${input.orderId} is not parked for ${input.readModel} (already retried or skipped?)`,
      });
    }
    throw err;
  }
  logger.info({ workflowId, action }, 'parked projection signalled by an operator');
  return { workflowId, signalled: action === 'retry' ? 'retryProjection' : 'skipProjection' };
}

function parkedAction(action: 'retry' | 'skip', description: string): ApiMeta {
  return {
    openapi: {
      method: 'POST',
      path: `/api/admin/parked/{readModel}/{orderId}/${action}`,
      tags: ['admin'],
      errorResponses: [404],
      summary: `${action === 'retry' ? 'Retry' : 'Skip'} a parked projection`,
      description,
    },
  };
}

/** The operators' screens: parked orders, retry and skip, reconciliation, Temporal links. */
export function operatorProcedures(deps: QueryDeps & { temporal: Client }) {
  const call = <T>(what: string, fn: () => Promise<T>) =>
    withTemporalDeadline(deps.temporal, what, fn);
  return {
    parked: router({
      list: adminProcedure
        .meta({
          openapi: {
            method: 'GET',
            path: '/api/admin/parked',
            tags: ['admin'],
            summary: 'Parked projections',
            description: `Orders a read model refused for good, waiting for an operator (at most ${PARKED_LIST_LIMIT}).`,
          },
        })
        .output(parkedListOutput)
        .query(() =>
          call('admin.parked.list', async () => ({
            parked: await listParked(deps.temporal),
            limit: PARKED_LIST_LIMIT,
          })),
        ),
      retry: adminProcedure
        .meta(parkedAction('retry', 'Projects the parked order again.'))
        .input(parkedProjectionInput)
        .output(parkedSignalOutput)
        .mutation(({ input }) =>
          call('admin.parked.retry', () => signalParked(deps.temporal, input, 'retry')),
        ),
      skip: adminProcedure
        .meta(
          parkedAction('skip', 'Gives up on the parked order: the read model keeps what it had.'),
        )
        .input(parkedProjectionInput)
        .output(parkedSignalOutput)
        .mutation(({ input }) =>
          call('admin.parked.skip', () => signalParked(deps.temporal, input, 'skip')),
        ),
    }),
    // Recomputing a month reads the whole event store: on a store too large for the API's
    // statement timeout, the workers' reconcile workflow has minutes.
    reconcile: adminProcedure
      .meta({
        openapi: {
          method: 'POST',
          path: '/api/admin/reconcile',
          tags: ['admin'],
          summary: 'Reconcile a month',
          description:
            'Recomputes a month’s reports from the event store, exactly, and lists where rollups, live reports or the cache differ.',
        },
      })
      .input(reconcileInput)
      .output(reconcileOutput)
      .mutation(({ input }) =>
        withEventStore(
          'admin.reconcile',
          `run \`npm run reconcile -- --month ${input.month} --workflow\` (the workers allow DATABASE_WORKER_STATEMENT_TIMEOUT_MS)`,
          () =>
            reconcileMonth(
              {
                pool: deps.pool,
                es: deps.es,
                redis: deps.redis,
                esPrefix: deps.esPrefix,
                redisPrefix: deps.redisPrefix,
                timeZone: deps.reportTimeZone,
              },
              input.month,
            ),
        ),
      ),
    temporalUi: adminProcedure
      .meta({
        openapi: {
          method: 'GET',
          path: '/api/admin/temporal-ui',
          tags: ['admin'],
          summary: 'Temporal UI links',
          description:
            'Where the Temporal UI is, and the ids of the projector and rebuild workflows.',
        },
      })
      .output(temporalUiOutput)
      .query(() => ({
        url: config().TEMPORAL_UI_URL.replace(/\/+$/, ''),
        namespace: config().TEMPORAL_NAMESPACE,
        workflows: {
          projectors: READ_MODELS.map((readModel) => ({
            readModel,
            workflowId: projectorWorkflowId(readModel),
          })),
          rebuilds: READ_MODELS.map((readModel) => ({
            readModel,
            workflowId: prefixedId(rebuildWorkflowId(readModel)),
          })),
        },
      })),
  };
}
