import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { REBUILT_INDEX_SMALLER, RESTORED_EVENTS_INVISIBLE } from '../activities/rebuild-activities';
import { chunks, generateOrders, orderAppends } from '../bench/reports-at-scale/generated-orders';
import { checkRestoredEvents, ProjectionCheckpoints, START, Subscriptions } from '../eventstore';
import {
  createNextOrdersIndex,
  currentOrdersIndex,
  ensureOrdersIndex,
} from '../projections/elasticsearch';
import { readersCaughtUp } from './support/db';
import {
  copyInto,
  databaseUrl,
  es,
  esPrefix,
  failureOf,
  pool,
  readEverything,
  rebuildFixture,
  useRestoreDatabase,
} from './support/restore-fixture';
import { waitFor } from './support/wait';

useRestoreDatabase();

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
