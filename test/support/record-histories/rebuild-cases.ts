// Cases of rebuildReadModelWorkflow: each read model rebuilt from the admin API, and the
// Elasticsearch rebuild as the workflow ran it before the rebuild-batch-size-5000 patch.
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { initialRebuildProgress } from '../../../contracts/projection-controls';
import { CURRENT_SCHEMA_VERSION, decide, fold } from '../../../domain';
import type { ReadModel } from '../../../domain/read-models';
import { orderStreamId } from '../../../domain/streams';
import type { BatchAppend } from '../../../eventstore';
import { prefixedId } from '../../../temporal/task-queues';
import type { RecordingEnv } from '../record-env';
import { type Case, count, expectFact, ITEM } from './case';

const BATCH_SIZE_5000 = 'rebuild-batch-size-5000';

async function adminRebuild(env: RecordingEnv, readModel: ReadModel): Promise<WorkflowHandle> {
  const started = await env.app.client('admin').admin.projections.rebuild.mutate({ readModel });
  return env.app.connections.temporal.workflow.getHandle(started.workflowId);
}

/**
 * Tops the event store up to `atLeast` events with placed orders, in one batch append.
 * They reach the read models only through a rebuild, which is what they are for.
 */
async function ensureEvents(env: RecordingEnv, atLeast: number): Promise<void> {
  const { rows } = await env.app.connections.pool.query<{ n: string }>(
    'select count(*)::text as n from events',
  );
  const missing = atLeast - Number(rows[0]?.n ?? 0);
  if (missing <= 0) return;
  const at = new Date().toISOString();
  const batch: BatchAppend[] = [];
  for (let i = 0; i < missing; i++) {
    const commandId = randomUUID();
    const orderId = `o-${commandId}`;
    const command = { type: 'PlaceOrder' as const, orderId, customerId: 'c-seed', region: 'eu' };
    const decision = decide({ ...command, currency: 'EUR', items: [ITEM], at }, fold([]));
    if (!decision.ok) throw new Error(decision.error.message);
    batch.push({
      streamId: orderStreamId(orderId),
      expectedVersion: 0,
      events: decision.events.map((e) => ({
        type: e.type,
        schemaVersion: CURRENT_SCHEMA_VERSION[e.type],
        data: e.data,
      })),
      commandId,
      commandType: 'PlaceOrder',
      payloadHash: `seed-${commandId}`,
      metadata: {
        correlationId: commandId,
        causationId: commandId,
        actor: 'record-histories',
        occurredAt: at,
      },
    });
  }
  await env.store.appendBatch(batch);
}

export const REBUILD_CASES: Record<string, Case> = {
  'rebuild-elasticsearch': {
    file: 'rebuild-read-model-elasticsearch.json',
    run: (env) => adminRebuild(env, 'elasticsearch'),
    check(facts) {
      expectFact(facts.patches.includes(BATCH_SIZE_5000), `the ${BATCH_SIZE_5000} marker`, facts);
      expectFact(facts.activities.includes('swapToRebuiltIndex'), 'the swap', facts);
    },
  },
  'rebuild-redis': {
    file: 'rebuild-read-model-redis.json',
    run: (env) => adminRebuild(env, 'redis'),
    check: (facts) =>
      expectFact(facts.activities.includes('clearRedisReadModel'), 'the clear', facts),
  },
  /**
   * The old side of rebuild-batch-size-5000: the pre-patch workflow over a store of more
   * than 2,000 but fewer than 5,000 events copies in two batches where the patched code
   * needs one, so replaying it with the patch taken would diverge.
   */
  'rebuild-elasticsearch-before-batch-size-5000': {
    file: 'rebuild-read-model-elasticsearch-before-batch-size-5000.json',
    async run(env) {
      await ensureEvents(env, 2_500);
      const queue = await env.startRebuildBeforeBatchSize5000();
      return env.app.connections.temporal.workflow.start('rebuildReadModelWorkflow', {
        workflowId: prefixedId(`rebuild-before-batch-size-5000-${randomUUID()}`),
        taskQueue: queue,
        args: [initialRebuildProgress('elasticsearch')],
      });
    },
    check(facts) {
      expectFact(facts.patches.length === 0, 'no patch marker', facts);
      const swap = facts.activities.indexOf('swapToRebuiltIndex');
      const copied = count(facts.activities.slice(0, swap), 'rebuildBatch');
      expectFact(copied >= 2, 'two batches before the swap', facts);
    },
  },
};
