import { afterAll, describe, expect, it } from 'vitest';
import {
  CommandIdConflictError,
  ConcurrencyError,
  EventStore,
  type GlobalCheckpoint,
  START,
  type StoredEvent,
} from '../eventstore';
import { appendOptions, readersCaughtUp, testPool, uniqueStream } from './support/db';

const pool = testPool();
const store = new EventStore(pool);
afterAll(() => pool.end());

const ev = (n: number) => ({ type: 'Tested', schemaVersion: 1, data: { n } });

/** Reads the whole global order from `from` to the end visible now. */
async function drain(
  from: GlobalCheckpoint,
): Promise<{ events: StoredEvent[]; checkpoint: GlobalCheckpoint }> {
  const events: StoredEvent[] = [];
  let checkpoint = from;
  for (;;) {
    const page = await store.readAll(checkpoint, 500);
    events.push(...page.events);
    checkpoint = page.checkpoint;
    if (page.events.length < 500) return { events, checkpoint };
  }
}

describe('event store', () => {
  it('appends with the full envelope and reads the stream back in order', async () => {
    const stream = uniqueStream();
    const opts = appendOptions();
    const first = await store.append(stream, 0, [ev(1), ev(2)], opts);
    expect(first).toMatchObject({ streamId: stream, version: 2, duplicate: false });
    const second = await store.append(stream, 2, [ev(3)], appendOptions());
    expect(second.version).toBe(3);
    expect(second.position).toBeGreaterThan(first.position);

    const events = await store.readStream(stream);
    expect(events.map((e) => [e.streamVersion, (e.data as { n: number }).n])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    const [e1] = events;
    expect(e1).toMatchObject({
      streamId: stream,
      type: 'Tested',
      schemaVersion: 1,
      metadata: { commandId: opts.commandId, ...opts.metadata },
    });
    expect(e1?.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(e1?.transactionId).toMatch(/^\d+$/);
    expect(events[1]?.globalPosition).toBe(first.position);
  });

  it('of 20 concurrent appends at the same expected version exactly one wins', async () => {
    const stream = uniqueStream();
    await store.append(stream, 0, [ev(0)], appendOptions());
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => store.append(stream, 1, [ev(i)], appendOptions())),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(19);
    for (const r of lost)
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
    expect(await store.readStream(stream)).toHaveLength(2);
    const { rows } = await pool.query(
      'select count(*)::int as n from commands where stream_id = $1',
      [stream],
    );
    expect(rows[0].n).toBe(2);
  });

  it('20 concurrent creates of one new stream: one wins', async () => {
    const stream = uniqueStream();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => store.append(stream, 0, [ev(i)], appendOptions())),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await store.readStream(stream)).toHaveLength(1);
  });

  it('refuses an expected version ahead of the stream', async () => {
    const stream = uniqueStream();
    await store.append(stream, 0, [ev(1)], appendOptions());
    await expect(store.append(stream, 5, [ev(2)], appendOptions())).rejects.toBeInstanceOf(
      ConcurrencyError,
    );
    expect(await store.readStream(stream)).toHaveLength(1);
  });

  it('re-appending a command id returns the first result and writes nothing', async () => {
    const stream = uniqueStream();
    const opts = appendOptions();
    const first = await store.append(stream, 0, [ev(1)], opts);
    const again = await store.append(stream, 0, [ev(1)], opts);
    expect(again).toEqual({ ...first, duplicate: true });
    // Even with a stale expected version, the duplicate is recognised before the version check.
    const concurrent = await Promise.all(
      Array.from({ length: 5 }, () => store.append(stream, 0, [ev(1)], opts)),
    );
    for (const r of concurrent) expect(r).toEqual({ ...first, duplicate: true });
    expect(await store.readStream(stream)).toHaveLength(1);
  });

  it('the same command id with a different payload is a conflict', async () => {
    const stream = uniqueStream();
    const opts = appendOptions();
    await store.append(stream, 0, [ev(1)], opts);
    await expect(
      store.append(stream, 1, [ev(2)], { ...opts, payloadHash: 'hash-b' }),
    ).rejects.toBeInstanceOf(CommandIdConflictError);
    expect(await store.readStream(stream)).toHaveLength(1);
  });

  it('readAll never skips an event that commits after a higher position became visible', async () => {
    const { checkpoint: start } = await drain(START);
    const early = uniqueStream('early');
    const late = uniqueStream('late');

    // Transaction A takes a position first and stays open...
    const a = await pool.connect();
    try {
      await a.query('begin');
      const inserted = await a.query<{ p: string }>(
        `insert into events (event_id, stream_id, stream_version, event_type, schema_version, data, metadata, occurred_at)
         values (gen_random_uuid(), $1, 1, 'Tested', 1, '{"n":1}', '{}', now())
         returning global_position::text as p`,
        [late],
      );
      // ...while B takes a higher position and commits.
      const b = await store.append(early, 0, [ev(2)], appendOptions());

      expect(Number(inserted.rows[0]?.p)).toBeLessThan(b.position);

      // A naive reader ordered by position alone would return B now and never look back.
      const naive = await pool.query<{ stream_id: string }>(
        'select stream_id from events where global_position > $1 order by global_position',
        [start.position],
      );
      expect(naive.rows.map((r) => r.stream_id)).toContain(early);

      const whileOpen = await drain(start);
      const seenWhileOpen = whileOpen.events.map((e) => e.streamId);
      expect(seenWhileOpen).not.toContain(early);
      expect(seenWhileOpen).not.toContain(late);

      await a.query('commit');
      await readersCaughtUp(pool);
      const after = await drain(whileOpen.checkpoint);
      const seen = after.events.map((e) => e.streamId);
      expect(seen).toContain(late);
      expect(seen).toContain(early);
      expect(seen.indexOf(late)).toBeLessThan(seen.indexOf(early));
    } finally {
      // Never hand an open transaction back to the pool: it would hold back every reader.
      a.release(true);
    }
  });

  it('readAll pages through concurrent appends without loss or repetition', async () => {
    const { checkpoint: start } = await drain(START);
    const streams = Array.from({ length: 40 }, () => uniqueStream('page'));
    const reader = (async () => {
      const seen: StoredEvent[] = [];
      let checkpoint = start;
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        const page = await store.readAll(checkpoint, 7);
        seen.push(...page.events);
        checkpoint = page.checkpoint;
        const mine = seen.filter((e) => streams.includes(e.streamId));
        if (mine.length === streams.length * 3) return seen;
        if (page.events.length === 0) await new Promise((r) => setTimeout(r, 5));
      }
      return seen;
    })();
    await Promise.all(
      streams.map(async (s) => {
        await store.append(s, 0, [ev(1), ev(2)], appendOptions());
        await store.append(s, 2, [ev(3)], appendOptions());
      }),
    );
    const seen = (await reader).filter((e) => streams.includes(e.streamId));
    expect(seen).toHaveLength(streams.length * 3);
    expect(new Set(seen.map((e) => e.eventId)).size).toBe(seen.length);
    for (const s of streams) {
      expect(seen.filter((e) => e.streamId === s).map((e) => e.streamVersion)).toEqual([1, 2, 3]);
    }
  });
});

describe('event store batch append (bulk imports)', () => {
  it('appends many streams in one transaction with the invariants of append', async () => {
    const entries = Array.from({ length: 3 }, () => ({
      streamId: uniqueStream('batch'),
      expectedVersion: 0,
      events: [ev(1), ev(2)],
      ...appendOptions(),
    }));
    const results = await store.appendBatch(entries);
    expect(results.map((r) => [r.version, r.duplicate])).toEqual([
      [2, false],
      [2, false],
      [2, false],
    ]);
    for (const [i, e] of entries.entries()) {
      const events = await store.readStream(e.streamId);
      expect(events.map((x) => x.streamVersion)).toEqual([1, 2]);
      expect(events[1]?.globalPosition).toBe(results[i]?.position);
      expect(events[0]?.metadata.commandId).toBe(e.commandId);
    }
    // Retrying the committed batch writes nothing and returns the first results.
    const again = await store.appendBatch(entries);
    expect(again.map((r) => r.duplicate)).toEqual([true, true, true]);
    expect(again.map((r) => r.position)).toEqual(results.map((r) => r.position));
    // A stale expected version fails the whole batch.
    const fresh = {
      streamId: uniqueStream('batch'),
      expectedVersion: 0,
      events: [ev(1)],
      ...appendOptions(),
    };
    const stale = {
      ...entries[0],
      ...appendOptions(),
      streamId: entries[0]?.streamId ?? '',
      expectedVersion: 1,
      events: [ev(3)],
    };
    await expect(store.appendBatch([fresh, stale])).rejects.toBeInstanceOf(ConcurrencyError);
    expect(await store.readStream(fresh.streamId)).toHaveLength(0);
  });
});
