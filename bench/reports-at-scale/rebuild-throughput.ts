// Rebuild throughput: the Elasticsearch read model rebuilt from the event store with the
// product's rebuild activities (in-process, no Temporal), once per batch size, with where
// the time went (reads, decoding, bulk requests, the rest) and who used the CPU.
import { performance } from 'node:perf_hooks';
import { createRebuildActivities } from '../../activities/rebuild-activities';
import { type GlobalCheckpoint, START } from '../../eventstore/types';
import { cpuSnapshot, cpuUsage, int, ms } from '../bench-stats';
import type { RunContext } from './context';
import { timeBulkRequests } from './es-diagnostics';
import { log } from './log';
import type { Servers } from './outages';
import { ES_PREFIX, REDIS_PREFIX, REPORT_TIME_ZONE } from './settings';
import { TimedEventStore } from './timed-event-store';

export interface RebuildRun {
  /** EventStore.readAll as shipped (an earlier experiment compared another query). */
  reader: 'product';
  limit: number;
  /** False when the time budget ran out first: the numbers cover the part done. */
  complete: boolean;
  index: string;
  events: number;
  ordersWritten: number;
  batches: number;
  /** createRebuildIndex + every rebuildBatch until a short page: what events/s is about. */
  copyMs: number;
  eventsPerSecond: number;
  swapAndCatchUpMs: number;
  refreshMs: number;
  breakdownMs: {
    readAll: number;
    /** This process's CPU inside readAll: decoding rows (JSON, dates). */
    readAllDecodeCpu: number;
    readStreams: number;
    readStreamsDecodeCpu: number;
    bulkSerialize: number;
    bulkRoundTrip: number;
    /** fold + toOrderDocument + bulk operation building + the rest (the remainder). */
    foldAndOther: number;
  };
  bulkRequests: number;
  /** Elasticsearch's own indexing time for this index (summed over its threads). */
  esIndexTimeMs: number;
  cpu: Record<string, number>;
  /** CPU microseconds per event, per group, during the copy. */
  cpuMicrosPerEvent: Record<string, number>;
}

async function rebuildOnce(
  { pool, es, redis }: Servers,
  limit: number,
  reader: RebuildRun['reader'],
  budgetMs: number,
): Promise<RebuildRun> {
  const store = new TimedEventStore(pool);
  const { totals: bulk, stop: stopTimingBulk } = timeBulkRequests(es);
  const act = createRebuildActivities({
    store,
    pool,
    es,
    redis,
    esPrefix: ES_PREFIX,
    redisPrefix: REDIS_PREFIX,
    reportTimeZone: REPORT_TIME_ZONE,
    parkProjection: () => Promise.reject(new Error('nothing is refused here')),
  });
  const cpuBefore = cpuSnapshot();
  const t0 = performance.now();
  const index = await act.createRebuildIndex();
  let after: GlobalCheckpoint = START;
  let events = 0;
  let ordersWritten = 0;
  let batches = 0;
  let complete = true;
  // As rebuildReadModelWorkflow does: batches until a short page, then swap.
  for (;;) {
    const result = await act.rebuildBatch({ index, after, limit });
    after = result.checkpoint;
    events += result.events;
    ordersWritten += result.orders;
    batches++;
    if (result.events < limit) break;
    if (performance.now() - t0 > budgetMs) {
      complete = false;
      break;
    }
    if (batches % 100 === 0) {
      const rate = events / ((performance.now() - t0) / 1000);
      log(`  ${int(events)} events, ${int(rate)} events/s`);
    }
  }
  const copyMs = performance.now() - t0;
  const cpuAfter = cpuSnapshot();
  const s0 = performance.now();
  // Forced: a copy cut short by the budget is swapped in all the same (measured, not served).
  const swap = await act.swapToRebuiltIndex(index, { force: true, checkpoint: after });
  await act.dropIndices(swap.previous);
  // Catch-up: nothing is written meanwhile here, so one batch finds the store drained.
  if (complete) await act.rebuildBatch({ index, after, limit });
  await act.clearRedisReadModel('reports');
  const swapAndCatchUpMs = performance.now() - s0;
  const r0 = performance.now();
  await es.indices.refresh({ index });
  const refreshMs = performance.now() - r0;
  const stats = await es.indices.stats({ index, metric: 'indexing' });
  const esIndexTimeMs = stats.indices?.[index]?.primaries?.indexing?.index_time_in_millis ?? 0;
  stopTimingBulk();

  const cpu = cpuUsage(cpuBefore, cpuAfter);
  const reads = store.readAllTimer.wallMs + store.readStreamsTimer.wallMs;
  const known = reads + bulk.serializeMs + bulk.roundTripMs;
  return {
    reader,
    limit,
    complete,
    index,
    events,
    ordersWritten,
    batches,
    copyMs,
    eventsPerSecond: events / (copyMs / 1000),
    swapAndCatchUpMs,
    refreshMs,
    breakdownMs: {
      readAll: store.readAllTimer.wallMs,
      readAllDecodeCpu: store.readAllTimer.cpuMs,
      readStreams: store.readStreamsTimer.wallMs,
      readStreamsDecodeCpu: store.readStreamsTimer.cpuMs,
      bulkSerialize: bulk.serializeMs,
      bulkRoundTrip: bulk.roundTripMs,
      foldAndOther: Math.max(0, copyMs - known),
    },
    bulkRequests: bulk.requests,
    esIndexTimeMs,
    cpu,
    cpuMicrosPerEvent: Object.fromEntries(
      Object.entries(cpu).map(([g, cores]) => [
        g,
        Number((((cores * copyMs) / 1000 / Math.max(1, events)) * 1e6).toFixed(1)),
      ]),
    ),
  };
}

/** One full rebuild per batch size (and reader) of the settings, each on a quiet machine. */
export async function rebuildPerLimit(ctx: RunContext): Promise<RebuildRun[]> {
  const { s, phase, settle } = ctx;
  const rebuilds: RebuildRun[] = [];
  const plan: [number, RebuildRun['reader']][] = s.rebuildLimits.map((l) => [l, 'product']);
  for (const [limit, reader] of plan) {
    const name = `rebuild ${reader} ${limit}`;
    log(`${name}`);
    await settle(name);
    const run = await phase(name, () => rebuildOnce(ctx, limit, reader, s.rebuildBudgetMs));
    const partial = run.complete ? '' : ' (time budget ran out: partial)';
    log(
      `  ${int(run.events)} events in ${ms(run.copyMs)} ms: ${int(run.eventsPerSecond)} events/s${partial}`,
    );
    rebuilds.push(run);
  }
  return rebuilds;
}
