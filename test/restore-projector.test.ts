import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { createProjectionActivities } from '../activities/projection-activities';
import { chunks, generateOrders, orderAppends } from '../bench/reports-at-scale/generated-orders';
import { config } from '../config/env';
import {
  AppendListener,
  CHECKPOINT_FROM_ANOTHER_CLUSTER,
  type GlobalCheckpoint,
  ProjectionCheckpoints,
  renumberRestoredEvents,
  START,
} from '../eventstore';
import { createNextOrdersIndex } from '../projections/elasticsearch';
import { closeTemporalClient, createTemporalClient } from '../temporal/client';
import { temporalConnectionOptions } from '../temporal/connection-options';
import { workflowBundle } from '../temporal/worker';
import type { projectorWorkflow } from '../workflows/projector';
import {
  databaseUrl,
  es,
  esPrefix,
  failureOf,
  pool,
  rebuildFixture,
  redis,
  useRestoreDatabase,
} from './support/restore-fixture';

useRestoreDatabase();

// A projector (or rebuild) carrying a checkpoint taken in the transaction ids of the cluster
// the store was restored from: refused for good, naming the runbook step.

describe("a projector still holding a checkpoint in the restored cluster's transaction ids", () => {
  it('fails loudly, naming the runbook step, instead of projecting nothing forever', async () => {
    const { store, act } = rebuildFixture();
    for (const chunk of chunks(generateOrders(10, 21), 10)) {
      await store.appendBatch(chunk.flatMap(orderAppends));
    }
    // The cluster the store came from was further along: its ids, and a projector's
    // checkpoint taken in them (the last event it projected there).
    await pool.query(
      `update events set transaction_id = (pg_current_xact_id()::text::bigint + 1000000)::text::xid8`,
    );
    const { rows } = await pool.query<{ xid: string; position: number }>(
      `select transaction_id::text as xid, global_position::int as position from events
       order by transaction_id desc, global_position desc limit 1`,
    );
    const stale: GlobalCheckpoint = {
      transactionId: rows[0]?.xid ?? '',
      position: rows[0]?.position ?? 0,
    };
    // The documented renumbering ran, and the new cluster took a write since: everything is
    // there to project, all of it behind the stale checkpoint in the readers' order.
    await renumberRestoredEvents(pool);
    const [late] = generateOrders(1, 22);
    if (!late) throw new Error('no order generated');
    await store.appendBatch(orderAppends({ ...late, orderId: `${late.orderId}-after-restore` }));
    expect((await store.readAll(START, 100)).events.length).toBeGreaterThan(0);

    const listener = new AppendListener(databaseUrl.toString());
    const projection = createProjectionActivities({
      store,
      checkpoints: new ProjectionCheckpoints(pool),
      listener,
      requestRerollup: () => Promise.reject(new Error('no month is rolled up here')),
      parkProjection: () => Promise.reject(new Error('nothing is refused here')),
      es,
      redis,
      esPrefix,
      redisPrefix: `${config().REDIS_KEY_PREFIX}restore:`,
      reportTimeZone: 'UTC',
    });
    try {
      const refused = await failureOf(
        projection.projectBatch({
          readModel: 'elasticsearch',
          projector: 'projector-elasticsearch',
          after: stale,
          limit: 100,
        }),
      );
      expect(refused.type).toBe(CHECKPOINT_FROM_ANOTHER_CLUSTER);
      expect(refused.nonRetryable).toBe(true);
      expect(refused.message).toContain('After restoring the event store');
      expect(refused.message).toContain('npm run migrate -- --after-restore');
      // A rebuild carrying such a checkpoint (it ran across the restore) stops the same way.
      const index = await createNextOrdersIndex(es, esPrefix);
      const rebuildRefused = await failureOf(act.rebuildBatch({ index, after: stale, limit: 100 }));
      expect(rebuildRefused.type).toBe(CHECKPOINT_FROM_ANOTHER_CLUSTER);
      expect(rebuildRefused.nonRetryable).toBe(true);

      // The projector workflow itself ends failed, with that message, for operators to see.
      const queue = `${config().TASK_QUEUE_PREFIX}-restore-projections`;
      const connection = await NativeConnection.connect(temporalConnectionOptions(config()));
      const client = await createTemporalClient();
      try {
        const worker = await Worker.create({
          connection,
          namespace: config().TEMPORAL_NAMESPACE,
          taskQueue: queue,
          workflowBundle: await workflowBundle(),
          activities: projection,
        });
        const handle = await client.workflow.start<typeof projectorWorkflow>('projectorWorkflow', {
          workflowId: `${queue}-${randomUUID()}`,
          taskQueue: queue,
          args: [
            { readModel: 'elasticsearch', checkpoint: stale, events: 0, batches: 0, parked: 0 },
          ],
        });
        const outcome = await worker.runUntil(
          Promise.race([
            handle.result().then(
              () => 'completed',
              (err: unknown) => err,
            ),
            new Promise<string>((resolve) =>
              setTimeout(() => resolve('still running after 20 s, projecting nothing'), 20_000),
            ),
          ]),
        );
        if (!(outcome instanceof WorkflowFailedError)) {
          await handle.terminate('test over').catch(() => undefined);
          throw new Error(`expected the projector to fail, but it is ${String(outcome)}`);
        }
        const why = outcome.cause?.cause;
        expect(why instanceof Error ? why.message : String(why)).toContain(
          'After restoring the event store',
        );
        // Failed by its own workflow task, not after workflow tasks that failed (an unhandled
        // rejection in the workflow), which retry and show as a stuck workflow meanwhile.
        const failedTasks = ((await handle.fetchHistory()).events ?? [])
          .map((e) => e.workflowTaskFailedEventAttributes?.failure?.message)
          .filter((m) => m !== undefined);
        expect(failedTasks).toEqual([]);
      } finally {
        await closeTemporalClient(client);
        await connection.close();
      }
    } finally {
      await listener.close();
    }
  }, 90_000);
});
