import { randomUUID } from 'node:crypto';
import { Client as EsClient } from '@elastic/elasticsearch';
import { ApplicationFailure } from '@temporalio/activity';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { createRebuildActivities } from '../../activities/rebuild-activities';
import { elasticsearchOptions } from '../../config/client-options';
import { config } from '../../config/env';
import {
  createPool,
  EventStore,
  type GlobalCheckpoint,
  migrate,
  START,
  type StoredEvent,
} from '../../eventstore';
import { readersCaughtUp } from './db';

// A logical restore is simulated in a database of the test file's own (never the shared test
// database): the events' stored transaction ids are pushed ahead of the cluster's, as
// pg_dump/pg_restore from a cluster further along leaves them.
const ADMIN_URL = new URL(config().DATABASE_URL);
ADMIN_URL.pathname = '/orders';
const database = `orders_restore_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
export const databaseUrl = new URL(config().DATABASE_URL);
databaseUrl.pathname = `/${database}`;
export const esPrefix = `${config().ES_INDEX_PREFIX}restore-`;

export let pool: pg.Pool;
export let es: EsClient;
export let redis: Redis;

async function admin<T>(sql: string): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL.toString() });
  await client.connect();
  try {
    return (await client.query(sql)) as T;
  } finally {
    await client.end();
  }
}

/** Registers the database's creation and removal around the calling test file. */
export function useRestoreDatabase(): void {
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
}

export async function readEverything(store: EventStore): Promise<StoredEvent[]> {
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
export function rebuildFixture() {
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
export async function copyInto(
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

export async function failureOf(work: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ApplicationFailure))
    throw new Error(`expected an ApplicationFailure, got ${err}`);
  return err;
}
