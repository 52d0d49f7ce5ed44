// The event store as the rebuild reads it, with the time its reads take: how much of a
// rebuild is reading (query and row decoding) rather than folding and indexing.
import { performance } from 'node:perf_hooks';
import { EventStore } from '../../eventstore/event-store';
import type { GlobalCheckpoint, ReadAllResult, StoredEvent } from '../../eventstore/types';

/** Wall and this process's CPU time of some calls (the CPU part is row decoding here). */
export class CallTimer {
  wallMs = 0;
  cpuMs = 0;
  calls = 0;
  async time<T>(call: () => Promise<T>): Promise<T> {
    const t = performance.now();
    const cpu = process.cpuUsage();
    try {
      return await call();
    } finally {
      const used = process.cpuUsage(cpu);
      this.wallMs += performance.now() - t;
      this.cpuMs += (used.user + used.system) / 1000;
      this.calls++;
    }
  }
}

/** The event store, timing its reads (query and row decoding, as the rebuild sees them). */
export class TimedEventStore extends EventStore {
  readonly readAllTimer = new CallTimer();
  readonly readStreamsTimer = new CallTimer();
  override async readAll(after: GlobalCheckpoint, limit: number): Promise<ReadAllResult> {
    return this.readAllTimer.time(() => super.readAll(after, limit));
  }
  override async readStreams(streamIds: string[]): Promise<Map<string, StoredEvent[]>> {
    return this.readStreamsTimer.time(() => super.readStreams(streamIds));
  }
}
