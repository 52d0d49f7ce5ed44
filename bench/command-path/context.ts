// What every scenario through Temporal shares: the server, its client, the API under test,
// the empty-workflow endpoint, the workers, and the bench's constants.
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { BENCH_NAMESPACE } from '../namespace';
import type { ReportApi } from './report-data-set';
import type { ReportSlot } from './report-load';
import type { RunningServer } from './servers';
import type { CommandPathKind, Settings } from './settings';
import { loopDelayMonitor } from './stats';
import type { WorkerHandle } from './worker-handle';

export const NAMESPACE = BENCH_NAMESPACE;
export const TOKENS = {
  reader: 'benchcmd-reader-token-0001',
  writer: 'benchcmd-writer-token-0001',
};
/** Workflows whose histories are fetched per measured cell (a uniform sample). */
export const HISTORY_SAMPLES = 40;
/** The event loop of this process: client lanes, lag followers and the API under test. */
export const benchLoop = loopDelayMonitor();

export interface TemporalContext {
  server: RunningServer;
  client: Client;
  /** The API under test, one server per command path (same read side, same Temporal client). */
  apis: Partial<Record<CommandPathKind, string>>;
  emptyUrl: string;
  workers: WorkerHandle;
  /** Duration of each update-with-start call the API made, per workflow type, ms. */
  calls: Map<string, number[]>;
  /** Time the API spent on each POST (arrival to response end), ms. */
  apiTimes: number[];
  settings: Settings;
  /** The report loads' data set: its slots, and the API server answering from it. */
  reports: { slots: ReportSlot[]; api?: { url: string; server: ReportApi } };
  /** The event store's database: the projectors' checkpoints. */
  pool: pg.Pool;
}

/** The base URL of the API that sends commands by `path`. */
export function apiUrl(ctx: TemporalContext, path: CommandPathKind): string {
  const url = ctx.apis[path];
  if (!url) throw new Error(`no API for the ${path} command path`);
  return url;
}

/** Which processes count as bench, workers and Temporal server, for CPU accounting. */
export function cpuGroups(ctx: TemporalContext) {
  return {
    bench: [process.pid],
    workers: ctx.workers.pid === process.pid ? [] : [ctx.workers.pid],
    temporal: ctx.server.pid ? [ctx.server.pid] : [],
  };
}

/** A progress line with the time, on stdout. */
export function progress(message: string): void {
  console.log(`[${new Date().toISOString()}] ${message}`);
}
