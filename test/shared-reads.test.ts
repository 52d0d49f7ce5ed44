import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config } from '../config/env';
import { orderStreamId } from '../domain';
import {
  type AllReader,
  AppendListener,
  EventStore,
  type GlobalCheckpoint,
  START,
  sharedReads,
} from '../eventstore';
import { placeAppendOptions, placedEvents } from './support/placed-order';
import { waitFor } from './support/wait';

// Webhook subscribers woken by one commit read one page of the event store between them
// (eventstore/shared-reads.ts), on the file's own database, notified as in production.

let pool: pg.Pool;
let store: EventStore;
let listener: AppendListener;
let reads = 0;
/** The real store, counting what reaches the database. */
const counted: AllReader = {
  readAll(after, limit) {
    reads++;
    return store.readAll(after, limit);
  },
};

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: config().DATABASE_URL, max: 12 });
  store = new EventStore(pool);
  listener = new AppendListener(config().DATABASE_URL);
  await listener.listening();
});
afterAll(async () => {
  await listener?.close();
  await pool?.end();
});

async function place(): Promise<void> {
  const orderId = `o-shared-${randomUUID()}`;
  const before = listener.sequence;
  await store.append(
    orderStreamId(orderId),
    0,
    placedEvents(orderId, 'shared'),
    placeAppendOptions('shared'),
  );
  await waitFor('the commit notified', async () => (listener.sequence > before ? true : undefined));
}

const positions = (events: { globalPosition: number }[]) => events.map((e) => e.globalPosition);

describe('one page of the event store for the subscribers a commit wakes', () => {
  it('given ten readers at one checkpoint, when they read together, then the store is read once and each gets the page', async () => {
    await place();
    const pages = sharedReads(counted, { reuseMs: 10_000, notified: () => listener.sequence });
    reads = 0;
    const got = await Promise.all(Array.from({ length: 10 }, () => pages.readAll(START, 100)));
    expect(reads).toBe(1);
    const alone = await store.readAll(START, 100);
    for (const page of got) {
      expect(positions(page.events)).toEqual(positions(alone.events));
      expect(page.checkpoint).toEqual(alone.checkpoint);
    }
  });

  it('given a page read, when a commit is notified, then the next reader reads again and sees it', async () => {
    const pages = sharedReads(counted, { reuseMs: 10_000, notified: () => listener.sequence });
    const first = await pages.readAll(START, 1_000);
    reads = 0;
    await place();
    const next = await pages.readAll(START, 1_000);
    expect(reads).toBe(1);
    expect(next.events.length).toBe(first.events.length + 1);
  });

  it('given a page read, when reuseMs has passed, then it is read again; other checkpoints and sizes are their own pages', async () => {
    const pages = sharedReads(counted, { reuseMs: 30, notified: () => listener.sequence });
    const at: GlobalCheckpoint = (await store.readAll(START, 1)).checkpoint;
    reads = 0;
    await Promise.all([pages.readAll(START, 10), pages.readAll(at, 10), pages.readAll(START, 5)]);
    expect(reads).toBe(3);
    await new Promise((r) => setTimeout(r, 40));
    await pages.readAll(START, 10);
    expect(reads).toBe(4);
  });

  it('given a read that fails, then the next reader reads again (a failure is not kept)', async () => {
    const failing = new EventStore(
      new pg.Pool({ connectionString: 'postgresql://nobody@127.0.0.1:1/x' }),
    );
    let attempts = 0;
    const pages = sharedReads(
      {
        readAll(after, limit) {
          attempts++;
          return attempts === 1 ? failing.readAll(after, limit) : store.readAll(after, limit);
        },
      },
      { reuseMs: 10_000, notified: () => listener.sequence },
    );
    await expect(pages.readAll(START, 10)).rejects.toThrow();
    const page = await pages.readAll(START, 10);
    expect(attempts).toBe(2);
    expect(page.events.length).toBeGreaterThan(0);
  });
});
