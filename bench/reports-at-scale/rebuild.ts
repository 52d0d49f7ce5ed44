// Rebuild throughput: the Elasticsearch read model rebuilt from the event store with the
// product's rebuild activities (in-process, no Temporal), once per batch size, with where the
// time went — reading (and decoding rows), bulk requests (serializing, round trips), the
// rest (fold, documents) — and who used the CPU.
import type { Client as EsClient } from '@elastic/elasticsearch';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { createRebuildActivities } from '../../activities/rebuild-activities';
import { EventStore } from '../../eventstore/event-store';
import { type GlobalCheckpoint, START } from '../../eventstore/types';
import { startCpuMeter } from '../harness/cpu';
import type { DataSet } from '../harness/data-sets';
import { progress } from '../harness/output';

/** Wall time, and this process's CPU time (decoding rows, here), of some calls. */
class CallTimer {
  wallMs = 0;
  cpuMs = 0;
  async time<T>(call: () => Promise<T>): Promise<T> {
    const t = performance.now();
    const cpu = process.cpuUsage();
    try {
      return await call();
    } finally {
      const used = process.cpuUsage(cpu);
      this.wallMs += performance.now() - t;
      this.cpuMs += (used.user + used.system) / 1000;
    }
  }
}

/** The event store, timing the two reads a rebuild makes. */
class TimedEventStore extends EventStore {
  readonly readAllTimer = new CallTimer();
  readonly readStreamsTimer = new CallTimer();
  override readAll(...args: Parameters<EventStore['readAll']>) {
    return this.readAllTimer.time(() => super.readAll(...args));
  }
  override readStreams(...args: Parameters<EventStore['readStreams']>) {
    return this.readStreamsTimer.time(() => super.readStreams(...args));
  }
}

/** `_bulk` requests of `es` while watching: serializing the body here, then the round trip. */
function watchBulk(es: EsClient) {
  const started = new Map<unknown, { at: number; sent?: number }>();
  const totals = { requests: 0, serializeMs: 0, roundTripMs: 0 };
  type Meta = { meta: { request: { id: unknown; params: { path: string } } } } | null;
  const onSerialize = (_: unknown, m: Meta) => {
    if (m?.meta.request.params.path.includes('_bulk'))
      started.set(m.meta.request.id, { at: performance.now() });
  };
  const onRequest = (_: unknown, m: Meta) => {
    const entry = started.get(m?.meta.request.id);
    if (entry) entry.sent = performance.now();
  };
  const onResponse = (_: unknown, m: Meta) => {
    const entry = started.get(m?.meta.request.id);
    if (!entry) return;
    started.delete(m?.meta.request.id);
    const sent = entry.sent ?? entry.at;
    totals.requests++;
    totals.serializeMs += sent - entry.at;
    totals.roundTripMs += performance.now() - sent;
  };
  es.diagnostic.on('serialization', onSerialize);
  es.diagnostic.on('request', onRequest);
  es.diagnostic.on('response', onResponse);
  return {
    totals,
    stop() {
      es.diagnostic.off('serialization', onSerialize);
      es.diagnostic.off('request', onRequest);
      es.diagnostic.off('response', onResponse);
    },
  };
}

/** One rebuild into a fresh index, swapped in at the end (as rebuildReadModelWorkflow does). */
export async function rebuildOnce(
  servers: { pool: pg.Pool; es: EsClient; redis: Redis; data: DataSet },
  limit: number,
  /** Then the copy stops, swapped in all the same and marked incomplete. */
  budgetMs: number,
) {
  const { pool, es, redis, data } = servers;
  const store = new TimedEventStore(pool);
  const bulk = watchBulk(es);
  const act = createRebuildActivities({
    store,
    pool,
    es,
    redis,
    esPrefix: data.esPrefix,
    redisPrefix: data.redisPrefix,
    reportTimeZone: 'UTC',
    parkProjection: () => Promise.reject(new Error('nothing is refused here')),
  });
  const meter = startCpuMeter();
  const t0 = performance.now();
  const index = await act.createRebuildIndex();
  let after: GlobalCheckpoint = START;
  let events = 0;
  let batches = 0;
  let complete = true;
  for (;;) {
    const result = await act.rebuildBatch({ index, after, limit });
    after = result.checkpoint;
    events += result.events;
    batches++;
    if (result.events < limit) break;
    if (performance.now() - t0 > budgetMs) {
      complete = false;
      break;
    }
    if (batches % 100 === 0)
      progress(`  ${events} events, ${Math.round(events / ((performance.now() - t0) / 1000))}/s`);
  }
  const copyMs = performance.now() - t0;
  const cores = meter.stop();
  const s0 = performance.now();
  // Forced: a copy cut short by the budget is swapped in all the same (measured, not served).
  const swap = await act.swapToRebuiltIndex(index, { force: true, checkpoint: after });
  await act.dropIndices(swap.previous);
  if (complete) await act.rebuildBatch({ index, after, limit }); // catch-up: nothing new here
  await act.clearRedisReadModel('reports');
  const swapAndCatchUpMs = performance.now() - s0;
  await es.indices.refresh({ index });
  const stats = await es.indices.stats({ index, metric: 'indexing' });
  bulk.stop();
  const reads = store.readAllTimer.wallMs + store.readStreamsTimer.wallMs;
  const { serializeMs, roundTripMs, requests } = bulk.totals;
  return {
    limit,
    complete,
    index,
    events,
    batches,
    /** createRebuildIndex + every rebuildBatch until a short page: what events/s is about. */
    copyMs,
    eventsPerSecond: events / (copyMs / 1000),
    swapAndCatchUpMs,
    breakdownMs: {
      readAll: store.readAllTimer.wallMs,
      readAllDecodeCpu: store.readAllTimer.cpuMs,
      readStreams: store.readStreamsTimer.wallMs,
      readStreamsDecodeCpu: store.readStreamsTimer.cpuMs,
      bulkSerialize: serializeMs,
      bulkRoundTrip: roundTripMs,
      foldAndOther: Math.max(0, copyMs - reads - serializeMs - roundTripMs),
    },
    bulkRequests: requests,
    /** Elasticsearch's own indexing time for the index (summed over its threads). */
    esIndexTimeMs: stats.indices?.[index]?.primaries?.indexing?.index_time_in_millis ?? 0,
    cores,
  };
}
