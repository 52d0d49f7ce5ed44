// Load generators. Closed loop: N lanes, each one request at a time for a fixed time (the
// rate is what the system answers). Open loop: requests on a fixed schedule with at most N in
// flight (a tick that finds them all busy is not sent: it counts as `behind`), so a slow
// answer cannot slow the load down. Plain node:http: each command needs its own id, and a
// `complete` the order id its `place` returned.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Summary, summarize, tally } from './stats';

/** Epoch milliseconds with sub-millisecond resolution, comparable with servers' event times. */
export const epochMs = (): number => performance.timeOrigin + performance.now();

/** One request as the load saw it. */
export interface Sample {
  kind: string;
  ok: boolean;
  sentAt: number;
  latencyMs: number;
  /** Why it failed: the HTTP status and tRPC code, or the exception. */
  error?: string;
}

export const errorText = (err: unknown): string =>
  (err instanceof Error ? err.message : String(err)).slice(0, 80);

/** Times `run`; never throws: a failure is a sample too. */
export async function timedCall(kind: string, run: () => Promise<unknown>): Promise<Sample> {
  const sentAt = epochMs();
  const t = performance.now();
  try {
    await run();
    return { kind, ok: true, sentAt, latencyMs: performance.now() - t };
  } catch (err) {
    return { kind, ok: false, sentAt, latencyMs: performance.now() - t, error: errorText(err) };
  }
}

export interface LoadResult {
  seconds: number;
  /** Requests answered within the window (late answers are not counted). */
  samples: Sample[];
  errors: Record<string, number>;
}

/** A lane's body: sends requests, reports each through `record`, until stopped. */
export type LaneStep = (record: (s: Sample) => void, stopped: () => boolean) => Promise<void>;

export async function closedLoop(
  lanes: number,
  seconds: number,
  step: LaneStep,
): Promise<LoadResult> {
  const end = epochMs() + seconds * 1000;
  const samples: Sample[] = [];
  const failures: string[] = [];
  const stopped = () => epochMs() >= end;
  const record = (s: Sample) => {
    if (s.sentAt + s.latencyMs > end) return;
    if (!s.ok) failures.push(`${s.kind}: ${s.error ?? 'failed'}`);
    samples.push(s);
  };
  const lane = async () => {
    while (!stopped()) {
      try {
        await step(record, stopped);
      } catch (err) {
        failures.push(`exception: ${errorText(err)}`);
        await sleep(50); // a broken server must not turn this into a busy loop
      }
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return { seconds, samples, errors: tally(failures) };
}

export interface OpenLoopResult extends LoadResult {
  targetPerSecond: number;
  maxInFlight: number;
  scheduled: number;
  behind: number;
  peakInFlight: number;
  /** Sent in the window and still unanswered `drainMs` after it. */
  unanswered: number;
  /** Every answer to a query sent in the window, late ones included. */
  latencyMs: Summary;
}

/**
 * Starts `query` every 1/rate s for `seconds` (ticks fixed from the start: a late tick does
 * not shift the next), unless `maxInFlight` are running. `query` reports failures as samples.
 */
export async function openLoop(
  rate: number,
  maxInFlight: number,
  seconds: number,
  query: () => Promise<Sample>,
  drainMs = 30_000,
): Promise<OpenLoopResult> {
  const begin = epochMs();
  const end = begin + seconds * 1000;
  const answers: Sample[] = [];
  const pending = new Set<Promise<void>>();
  let scheduled = 0;
  let behind = 0;
  let peak = 0;
  for (let tick = 0; begin + (tick * 1000) / rate < end; tick++) {
    const wait = begin + (tick * 1000) / rate - epochMs();
    if (wait > 0) await sleep(wait);
    scheduled++;
    if (pending.size >= maxInFlight) {
      behind++;
      continue;
    }
    const p: Promise<void> = query().then((s) => {
      answers.push(s);
      pending.delete(p);
    });
    pending.add(p);
    peak = Math.max(peak, pending.size);
  }
  const drained = new AbortController();
  await Promise.race([
    Promise.all(pending).finally(() => drained.abort()),
    sleep(drainMs, undefined, { signal: drained.signal }).catch(() => undefined),
  ]);
  const errors = tally(answers.filter((s) => !s.ok).map((s) => `${s.kind}: ${s.error}`));
  if (pending.size) errors[`unanswered ${drainMs / 1000} s after the window`] = pending.size;
  return {
    seconds,
    samples: answers.filter((s) => s.ok && s.sentAt + s.latencyMs <= end),
    errors,
    targetPerSecond: rate,
    maxInFlight,
    scheduled,
    behind,
    peakInFlight: peak,
    unanswered: pending.size,
    latencyMs: summarize(answers.filter((s) => s.ok).map((s) => s.latencyMs)),
  };
}

/** Rate, latency and errors of a load's successful requests, overall and per kind. */
export function summarizeLoad(load: LoadResult) {
  const ok = load.samples.filter((s) => s.ok);
  const kinds = [...new Set(ok.map((s) => s.kind))];
  return {
    requests: ok.length,
    perSecond: Math.round((ok.length / load.seconds) * 10) / 10,
    errors: load.errors,
    latencyMs: summarize(ok.map((s) => s.latencyMs)),
    byKind: Object.fromEntries(
      kinds.map((k) => [k, summarize(ok.filter((s) => s.kind === k).map((s) => s.latencyMs))]),
    ),
  };
}
export type LoadSummary = ReturnType<typeof summarizeLoad>;

export interface HttpReply {
  status: number;
  body: string;
}

/** One request on `agent`'s keep-alive sockets; a transport error rejects. */
export function httpRequest(
  agent: http.Agent,
  url: string,
  init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string },
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...init.headers };
    if (init.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(init.body);
    }
    const req = http.request(url, { method: init.method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(init.body);
  });
}
