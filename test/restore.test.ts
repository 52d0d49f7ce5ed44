import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { Client as EsClient } from '@elastic/elasticsearch';
import { ApplicationFailure } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProjectionActivities } from '../activities/projection-activities';
import {
  createRebuildActivities,
  REBUILT_INDEX_SMALLER,
  RESTORED_EVENTS_INVISIBLE,
} from '../activities/rebuild-activities';
import { chunks, generateOrders, orderAppends } from '../bench/reports-at-scale/generated-orders';
import { elasticsearchOptions } from '../config/client-options';
import { config } from '../config/env';
import {
  AppendListener,
  CHECKPOINT_FROM_ANOTHER_CLUSTER,
  checkRestoredEvents,
  createPool,
  EventStore,
  type GlobalCheckpoint,
  migrate,
  ProjectionCheckpoints,
  renumberRestoredEvents,
  START,
  type StoredEvent,
  Subscriptions,
} from '../eventstore';
import {
  createNextOrdersIndex,
  currentOrdersIndex,
  ensureOrdersIndex,
} from '../projections/elasticsearch';
import { closeTemporalClient, createTemporalClient } from '../temporal/client';
import { temporalConnectionOptions } from '../temporal/connection-options';
import { workflowBundle } from '../temporal/worker';
import type { projectorWorkflow } from '../workflows/projector';
import { readersCaughtUp } from './support/db';
import { waitFor } from './support/wait';

// A logical restore is simulated in a database of this file's own (never the shared test
// database): the events' stored transaction ids are pushed ahead of the cluster's, as
// pg_dump/pg_restore from a cluster further along leaves them.
const ADMIN_URL = new URL(config().DATABASE_URL);
ADMIN_URL.pathname = '/orders';
const database = `orders_restore_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const databaseUrl = new URL(config().DATABASE_URL);
databaseUrl.pathname = `/${database}`;
const esPrefix = `${config().ES_INDEX_PREFIX}restore-`;

let pool: pg.Pool;
let es: EsClient;
let redis: Redis;

async function admin<T>(sql: string): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL.toString() });
  await client.connect();
  try {
    return (await client.query(sql)) as T;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  await admin(`create database ${database}`);
  pool = createPool(databaseUrl.toString(), 4);
  await migrate(pool);
  es = new EsClient(elasticsearchOptions(config()));
  redis = new Redis(config().REDIS_URL, { lazyConnect: true });
});

afterAll(async () => {
  await pool?.end();
  await admin(`drop database if exists ${database} with (force)`);
  const indices = Object.keys(
    await es.indices.get({ index: `${esPrefix}*`, allow_no_indices: true }),
  );
  if (indices.length > 0) await es.indices.delete({ index: indices, ignore_unavailable: true });
  await es.indices.deleteIndexTemplate({ name: `${esPrefix}orders-template` }, { ignore: [404] });
  await es.close();
  redis.disconnect();
});

async function readEverything(store: EventStore): Promise<StoredEvent[]> {
  await readersCaughtUp(pool);
  const events: StoredEvent[] = [];
  let after: GlobalCheckpoint = START;
  for (;;) {
    const page = await store.readAll(after, 100);
    events.push(...page.events);
    after = page.checkpoint;
    if (page.events.length < 100) return events;
  }
}

/** The event store and the rebuild's real activities over this file's database, indices and keys. */
function rebuildFixture() {
  const store = new EventStore(pool);
  const act = createRebuildActivities({
    store,
    pool,
    es,
    redis,
    esPrefix,
    redisPrefix: `${config().REDIS_KEY_PREFIX}restore:`,
    reportTimeZone: 'UTC',
    parkProjection: () => Promise.reject(new Error('nothing is refused here')),
  });
  return { store, act };
}

/** What the rebuild workflow does up to its swap, with the real activities. */
async function copyInto(
  act: ReturnType<typeof createRebuildActivities>,
  index: string,
): Promise<GlobalCheckpoint> {
  await readersCaughtUp(pool);
  let after: GlobalCheckpoint = START;
  for (;;) {
    const batch = await act.rebuildBatch({ index, after, limit: 100 });
    after = batch.checkpoint;
    if (batch.events < 100) return after;
  }
}

async function failureOf(work: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ApplicationFailure))
    throw new Error(`expected an ApplicationFailure, got ${err}`);
  return err;
}

describe('a logical restore of the event store', () => {
  it('is detected, refused by the rebuild and its swap, and undone by migrate --after-restore', async () => {
    const { store, act } = rebuildFixture();
    const orders = 30;
    for (const chunk of chunks(generateOrders(orders, 7), 10)) {
      await store.appendBatch(chunk.flatMap(orderAppends));
    }
    const before = await readEverything(store);
    expect(before).toHaveLength(orders * 2);
    expect(await checkRestoredEvents(pool)).toMatchObject({ restored: false });

    // The read model as it was before the restore: a full rebuild, swapped in.
    await ensureOrdersIndex(es, esPrefix);
    const full = await act.createRebuildIndex();
    const copied = await copyInto(act, full);
    await act.swapToRebuiltIndex(full, { force: false, checkpoint: copied });
    expect(await currentOrdersIndex(es, esPrefix)).toBe(full);
    await new ProjectionCheckpoints(pool).save('projector-elasticsearch', copied);
    // A webhook subscription that has delivered the first 20 events: its checkpoint, restored
    // with the store, must keep its place (not resend, not stall) once the ids are renumbered.
    const subscriptions = new Subscriptions(pool);
    const subscriptionId = randomUUID();
    await subscriptions.create(
      subscriptionId,
      { url: 'https://hooks.example.com/x', eventTypes: null, description: null },
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    );
    const delivered = before[19];
    if (!delivered) throw new Error('fewer events than expected');
    await subscriptions.replay(subscriptionId, {
      transactionId: delivered.transactionId,
      position: delivered.globalPosition,
    });

    await pool.query(
      `update events set transaction_id = (pg_current_xact_id()::text::bigint + 1000000)::text::xid8`,
    );
    expect(await readEverything(store)).toEqual([]);
    const check = await checkRestoredEvents(pool);
    expect(check.restored).toBe(true);
    expect(BigInt(check.newestTransactionId ?? '0')).toBeGreaterThan(
      BigInt(check.nextTransactionId),
    );

    // A rebuild refuses to start, naming the step that fixes it.
    const refusedStart = await failureOf(act.createRebuildIndex());
    expect(refusedStart.type).toBe(RESTORED_EVENTS_INVISIBLE);
    expect(refusedStart.nonRetryable).toBe(true);
    expect(refusedStart.message).toContain('npm run migrate -- --after-restore');

    // One that got past the start (it began before the restore) copies nothing and may not
    // swap its empty index over the full one, unless forced.
    const empty = await createNextOrdersIndex(es, esPrefix);
    const emptyCheckpoint = await copyInto(act, empty);
    const refusedSwap = await failureOf(
      act.swapToRebuiltIndex(empty, { force: false, checkpoint: emptyCheckpoint }),
    );
    expect(refusedSwap.type).toBe(REBUILT_INDEX_SMALLER);
    expect(refusedSwap.nonRetryable).toBe(true);
    expect(refusedSwap.message).toContain(`holds 0 orders, fewer than the ${orders}`);
    expect(refusedSwap.message).toContain('force: true');
    expect(await currentOrdersIndex(es, esPrefix)).toBe(full);
    expect(await es.indices.exists({ index: empty })).toBe(false);

    // The documented step, as an operator runs it.
    const { stdout, stderr } = await promisify(execFile)(
      'npx',
      ['tsx', 'scripts/migrate.ts', '--after-restore'],
      { env: { ...process.env, DATABASE_URL: databaseUrl.toString(), LOG_LEVEL: 'info' } },
    );
    expect(`${stdout}${stderr}`).toContain('restored events renumbered');
    expect(await checkRestoredEvents(pool)).toMatchObject({ restored: false });
    const after = await readEverything(store);
    expect(after.map((e) => e.eventId)).toEqual(before.map((e) => e.eventId));
    const positions = after.map((e) => e.globalPosition);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(await new ProjectionCheckpoints(pool).load('projector-elasticsearch')).toBeNull();
    const kept = (await subscriptions.get(subscriptionId))?.checkpoint ?? START;
    expect(kept.position).toBe(delivered.globalPosition);
    const undelivered = await store.readAll(kept, 1_000);
    expect(undelivered.events.map((e) => e.eventId)).toEqual(
      before.slice(20).map((e) => e.eventId),
    );

    // Events appended after the step come after the restored ones.
    const [late] = generateOrders(1, 8);
    if (!late) throw new Error('no order generated');
    await store.appendBatch(orderAppends({ ...late, orderId: `${late.orderId}-late` }));
    const withLate = await readEverything(store);
    expect(withLate.slice(0, before.length).map((e) => e.eventId)).toEqual(
      before.map((e) => e.eventId),
    );
    expect(withLate).toHaveLength(before.length + 2);

    // And a rebuild now copies every order again.
    const again = await act.createRebuildIndex();
    const againCheckpoint = await copyInto(act, again);
    await act.swapToRebuiltIndex(again, { force: false, checkpoint: againCheckpoint });
    expect(await currentOrdersIndex(es, esPrefix)).toBe(again);
    await es.indices.refresh({ index: again });
    expect((await es.count({ index: again })).count).toBe(orders + 1);

    // A forced swap of a smaller index goes through.
    const forced = await createNextOrdersIndex(es, esPrefix);
    await act.swapToRebuiltIndex(forced, { force: true, checkpoint: START });
    expect(await currentOrdersIndex(es, esPrefix)).toBe(forced);
  });
});

describe('a rebuild held back by a transaction left open', () => {
  it('says so in its batch result: the open transaction, its age and the events waiting', async () => {
    const { store, act } = rebuildFixture();
    const index = await createNextOrdersIndex(es, esPrefix);
    const start = await copyInto(act, index);
    const open = new pg.Client({ connectionString: databaseUrl.toString() });
    await open.connect();
    let openPid: number | undefined;
    try {
      await open.query('begin');
      const { rows } = await open.query<{ pid: number }>(
        'select pg_backend_pid() as pid, pg_current_xact_id()',
      );
      openPid = rows[0]?.pid;
      const [order] = generateOrders(1, 9);
      if (!order) throw new Error('no order generated');
      await store.appendBatch(orderAppends({ ...order, orderId: `${order.orderId}-held` }));

      // The horizon is the whole cluster's: a shorter transaction of a file running beside
      // this one may be the oldest for a moment; the one left open here stays.
      const held = await waitFor(
        'the open transaction found holding the rebuild back',
        async () => {
          const batch = await act.rebuildBatch({ index, after: start, limit: 100 });
          return batch.heldBack?.pid === rows[0]?.pid ? batch : undefined;
        },
      );
      expect(held.events).toBe(0);
      expect(held.heldBack).toMatchObject({ pid: rows[0]?.pid, eventsWaiting: 2 });
      expect(held.heldBack?.transactionAgeSeconds).toBeGreaterThanOrEqual(0);
    } finally {
      await open.query('rollback');
      await open.end();
    }
    await readersCaughtUp(pool);
    const free = await act.rebuildBatch({ index, after: start, limit: 100 });
    expect(free.events).toBe(2);
    // Another file's transaction may be open at this moment; the one ended here is not.
    expect(free.heldBack?.pid).not.toBe(openPid);
  });
});

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
