// Closed-loop HTTP load: N lanes, each sending one request at a time over its own keep-alive
// socket, for a fixed time. node:http rather than a load tool: every command needs its own
// commandId and `complete` needs the orderId `place` returned.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

const REQUEST_TIMEOUT_MS = 30_000;

export interface HttpReply {
  status: number;
  body: string;
}

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
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(init.body);
  });
}

/** Epoch milliseconds with sub-millisecond resolution, comparable with server event times. */
export const epochMs = (): number => performance.timeOrigin + performance.now();

/** One request as the load loop saw it. */
export interface Sample {
  kind: string;
  ok: boolean;
  sentAt: number;
  latencyMs: number;
  /** Why it failed: the HTTP status and tRPC code, or the transport error. */
  error?: string;
}

export interface LoadResult {
  seconds: number;
  samples: Sample[];
  errors: Record<string, number>;
}

/** A lane's body: sends one or more requests, reports them through `record`, until stopped. */
export type LaneStep = (record: (s: Sample) => void, stopped: () => boolean) => Promise<void>;

/** Runs `lanes` copies of `step` in a loop for `seconds`; only requests done in time count. */
export async function runLoad(lanes: number, seconds: number, step: LaneStep): Promise<LoadResult> {
  const begin = epochMs();
  const end = begin + seconds * 1000;
  const samples: Sample[] = [];
  const errors: Record<string, number> = {};
  const stopped = () => epochMs() >= end;
  const record = (s: Sample) => {
    if (s.sentAt + s.latencyMs > end) return;
    if (!s.ok) {
      const key = `${s.kind}: ${s.error ?? 'failed'}`;
      errors[key] = (errors[key] ?? 0) + 1;
    }
    samples.push(s);
  };
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (!stopped()) {
        try {
          await step(record, stopped);
        } catch (err) {
          const key = `exception: ${err instanceof Error ? err.message : String(err)}`.slice(0, 80);
          errors[key] = (errors[key] ?? 0) + 1;
          await sleep(50); // a broken server must not turn this into a busy loop
        }
      }
    }),
  );
  return { seconds, samples, errors };
}

/** Timed request that never throws: the error is the reply status, or 0 for a transport error. */
export async function timed(
  agent: http.Agent,
  url: string,
  init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string },
): Promise<{ reply: HttpReply; sentAt: number; latencyMs: number }> {
  const sentAt = epochMs();
  const t = performance.now();
  let reply: HttpReply;
  try {
    reply = await httpRequest(agent, url, init);
  } catch (err) {
    reply = { status: 0, body: err instanceof Error ? err.message : String(err) };
  }
  return { reply, sentAt, latencyMs: performance.now() - t };
}

export const newId = (): string => randomUUID();
