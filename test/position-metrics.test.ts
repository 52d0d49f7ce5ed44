import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProjectionActivities } from '../activities/projection-activities';
import { createRebuildActivities } from '../activities/rebuild-activities';
import { config } from '../config/env';
import { orderStreamId } from '../domain';
import {
  AppendListener,
  EventStore,
  type GlobalCheckpoint,
  ProjectionCheckpoints,
  START,
} from '../eventstore';
import { ensureOrdersIndex } from '../projections/elasticsearch';
import { projectorCheckpoint, rebuildPosition } from '../runtime/metrics';
import { measuredRebuildActivities } from '../temporal/activity-metrics';
import { type Connections, openConnections } from '../temporal/connections';
import { readersCaughtUp } from './support/db';
import { placeAppendOptions, placedEvents } from './support/placed-order';

let connections: Connections;
let store: EventStore;
let listener: AppendListener;
const esPrefix = `${config().ES_INDEX_PREFIX}positions-`;
const redisPrefix = `${config().REDIS_KEY_PREFIX}positions:`;

beforeAll(async () => {
  connections = await openConnections();
  store = new EventStore(connections.pool);
  listener = new AppendListener(config().DATABASE_URL);
});
afterAll(async () => {
  await listener?.close();
  const indices = Object.keys(
    await connections.es.indices.get({ index: `${esPrefix}*`, allow_no_indices: true }),
  );
  if (indices.length > 0) await connections.es.indices.delete({ index: indices });
  await connections.es.indices.deleteIndexTemplate(
    { name: `${esPrefix}orders-template` },
    { ignore: [404] },
  );
  await connections?.close();
});

const placed = (orderId: string) => placedEvents(orderId, 'positions');
const appendOptions = () => placeAppendOptions('positions');

async function endOfStore(): Promise<GlobalCheckpoint> {
  let after = START;
  for (;;) {
    const page = await store.readAll(after, 1_000);
    after = page.checkpoint;
    if (page.events.length < 1_000) return after;
  }
}

/**
 * Two orders whose events the readers' (xid, position) order takes in falling position:
 * transaction A takes its id first, B appends (a lower position) and commits, then A
 * appends (a higher position) and commits. Returns [A's position, B's position].
 */
async function appendInFallingPositions(): Promise<[number, number]> {
  const a = await connections.pool.connect();
  try {
    await a.query('begin');
    await a.query('select pg_current_xact_id()');
    const b = await store.append(
      orderStreamId(`o-${randomUUID()}`),
      0,
      placed('o-b'),
      appendOptions(),
    );
    const orderId = `o-${randomUUID()}`;
    const late = await new EventStore(a as unknown as pg.Pool).append(
      orderStreamId(orderId),
      0,
      placed(orderId),
      appendOptions(),
    );
    await a.query('commit');
    await readersCaughtUp(connections.pool);
    return [late.position, b.position];
  } finally {
    a.release(true);
  }
}

async function gaugeValue(
  gauge: typeof projectorCheckpoint,
  readModel: string,
): Promise<number | undefined> {
  return (await gauge.get()).values.find((v) => v.labels.read_model === readModel)?.value;
}

describe('position gauges in the readers’ (xid, position) order', () => {
  it('orders_projector_checkpoint_position never goes down, though a later batch holds a lower position', async () => {
    const after = await endOfStore();
    const [first, second] = await appendInFallingPositions();
    expect(second).toBeLessThan(first);
    const project = createProjectionActivities({
      store,
      checkpoints: new ProjectionCheckpoints(connections.pool),
      listener,
      requestRerollup: async () => undefined,
      parkProjection: async () => undefined,
      es: connections.es,
      redis: connections.redis,
      esPrefix,
      redisPrefix,
      reportTimeZone: 'UTC',
    });
    const projector = `test-positions-${randomUUID()}`;
    const one = await project.projectBatch({ readModel: 'redis', projector, after, limit: 1 });
    expect(one.checkpoint.position).toBe(first);
    expect(await gaugeValue(projectorCheckpoint, 'redis')).toBe(first);
    const two = await project.projectBatch({
      readModel: 'redis',
      projector,
      after: one.checkpoint,
      limit: 1,
    });
    expect(two.checkpoint.position).toBe(second);
    expect(await gaugeValue(projectorCheckpoint, 'redis')).toBe(first);
  });

  it('orders_rebuild_position never goes down either', async () => {
    const after = await endOfStore();
    const [first, second] = await appendInFallingPositions();
    const rebuild = measuredRebuildActivities(
      createRebuildActivities({
        store,
        pool: connections.pool,
        es: connections.es,
        redis: connections.redis,
        esPrefix,
        redisPrefix,
        reportTimeZone: 'UTC',
        parkProjection: () => Promise.reject(new Error('nothing is refused here')),
      }),
    );
    await ensureOrdersIndex(connections.es, esPrefix);
    const index = await rebuild.createRebuildIndex();
    const one = await rebuild.rebuildBatch({ index, after, limit: 1 });
    expect(one.checkpoint.position).toBe(first);
    const two = await rebuild.rebuildBatch({ index, after: one.checkpoint, limit: 1 });
    expect(two.checkpoint.position).toBe(second);
    expect(await gaugeValue(rebuildPosition, 'elasticsearch')).toBe(first);
  });
});
