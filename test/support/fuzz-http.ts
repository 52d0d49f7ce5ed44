import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import { startTestApp, type TestApp, TOKENS } from './app';
import {
  describeReply,
  type Json,
  type Reply,
  rawCall,
  type Sent,
  toJsonText,
  trpcError,
  utf8,
} from './fuzz';
import type { Procedure, Role } from './fuzz-procedures';

// The fuzz's calls over real HTTP, the oracles for their answers, and the ledger that shows
// a refused request persisted nothing.

export const BODY_LIMIT = 64 * 1024; // startTestApp's maxBodyBytes
/** Node's default limit on the request line plus headers (--max-http-header-size). */
const HEADER_LIMIT = 16 * 1024;

export const bearer = (role: Role) => `Bearer ${TOKENS[role]}`;

export interface Call {
  reply: Reply;
  sent: Sent;
}

interface Ledger {
  events: number;
  commands: number;
  streams: number;
  now: Date;
}

const requestLineOver = (sent: Sent, limit: number) =>
  sent.method === 'GET' && sent.target.length > limit;

/**
 * The calls and oracles of one test file, against its app (`getApp`: the file starts it in
 * beforeAll). `label` names the file in what it logs.
 */
export function fuzzHttp(getApp: () => TestApp, label: string) {
  /** Every request carries `x-correlation-id: <RUN_TAG>.<scope>.<n>`; events store it. */
  const RUN_TAG = `fuzz-${randomUUID()}`;
  let scope = 'setup';
  let sequence = 0;
  /** Statuses seen for the edge cases worth knowing (malformed JSON, oversized requests), printed at the end. */
  const observed = new Map<string, Set<string>>();

  async function call(
    proc: Procedure,
    input: Uint8Array | undefined,
    authorization: string | undefined,
  ): Promise<Call> {
    sequence += 1;
    const result = await rawCall(getApp().url, proc.name, proc.type, input, authorization, {
      'x-correlation-id': `${RUN_TAG}.${scope}.${sequence}`,
    });
    expect(
      result.reply.status,
      `never a 5xx: ${describeReply(result.reply, result.sent)}`,
    ).toBeLessThan(500);
    // Whatever the fuzz sends, the answer is one /openapi.json describes.
    getApp().contract.checkTrpc(proc.name, result.reply.status, result.reply.body);
    return result;
  }

  const callJson = (proc: Procedure, input: Json | undefined, role: Role | undefined) =>
    call(
      proc,
      input === undefined ? undefined : utf8(toJsonText(input)),
      role ? bearer(role) : undefined,
    );

  function observe(what: string, reply: Reply): void {
    const body = reply.body as { error?: { data?: { code?: unknown } } } | null;
    const code = body?.error?.data?.code;
    const seen = observed.get(what) ?? new Set<string>();
    const label =
      typeof code === 'string' ? code : reply.status === 200 ? 'result' : '(no JSON body)';
    seen.add(`${reply.status} ${label}`);
    observed.set(what, seen);
  }

  function expectError({ reply, sent }: Call, status: number, codes: readonly string[]) {
    const info = describeReply(reply, sent);
    expect(reply.status, info).toBe(status);
    const error = trpcError(reply, sent);
    expect(codes, info).toContain(error.data.code);
    expect(error.data.httpStatus, info).toBe(status);
    expect(error.message.length, info).toBeGreaterThan(0);
    return error;
  }

  /**
   * The oracle for input the API must refuse: 400 BAD_REQUEST listing an issue at each
   * expected path; 413 when the body is over the limit; 431 when a GET's URL is over Node's
   * header limit (near the limit either answer is right).
   */
  function expectRefusedInput(res: Call, paths: readonly string[], what = 'invalid input') {
    const { reply, sent } = res;
    if (sent.method === 'POST' && sent.bodyBytes > BODY_LIMIT) {
      observe('POST body over 64 KiB (writer/admin token)', reply);
      const error = expectError(res, 413, ['PAYLOAD_TOO_LARGE']);
      expect(error.message, describeReply(reply, sent)).toMatch(/API_MAX_BODY_BYTES.*send less/);
      return;
    }
    if (
      requestLineOver(sent, HEADER_LIMIT) ||
      (requestLineOver(sent, HEADER_LIMIT - 1024) && reply.status === 431)
    ) {
      observe('GET with a URL over 16 KiB', reply);
      const error = expectError(res, 431, ['REQUEST_HEADER_FIELDS_TOO_LARGE']);
      expect(error.message, describeReply(reply, sent)).toMatch(/shorten the URL/);
      return;
    }
    const info = describeReply(reply, sent);
    const error = expectError(res, 400, ['BAD_REQUEST']);
    expect(error.message, info).toMatch(/^Invalid input: /);
    const issues = error.data.issues;
    expect(Array.isArray(issues) && issues.length > 0, `${what}: issues listed: ${info}`).toBe(
      true,
    );
    for (const issue of issues ?? []) {
      expect(typeof issue.path, info).toBe('string');
      expect(issue.message.length, info).toBeGreaterThan(0);
    }
    for (const path of paths) {
      const found = issues?.some((i) => i.path === path || i.path.startsWith(`${path}.`));
      expect(found, `${what}: an issue at "${path}": ${info}`).toBe(true);
    }
  }

  async function ledger(): Promise<Ledger> {
    const { rows } = await getApp().connections.pool.query<{
      events: string;
      commands: string;
      streams: string;
      now: Date;
    }>(
      `select (select count(*) from events)::text as events,
              (select count(*) from commands)::text as commands,
              (select count(*) from streams)::text as streams,
              now() as now`,
    );
    const row = rows[0];
    if (!row) throw new Error('no ledger row');
    return {
      events: Number(row.events),
      commands: Number(row.commands),
      streams: Number(row.streams),
      now: row.now,
    };
  }

  /** Events written by requests of one scope of this run (the correlation id says whose). */
  async function eventsOfScope(scopeName: string): Promise<number> {
    const { rows } = await getApp().connections.pool.query<{ n: number }>(
      `select count(*)::int as n from events where metadata->>'correlationId' like $1`,
      [`${RUN_TAG}.${scopeName}.%`],
    );
    return rows[0]?.n ?? 0;
  }

  /**
   * Runs `body` (which sends only requests that must be refused) and asserts that the event
   * store did not change: the global counts of events, commands and streams. The test database
   * is shared with any concurrent test run, so when the counts moved anyway, the new rows must
   * all be someone else's: none carries this scope's correlation id, and no new command row
   * lacks its events.
   */
  async function nothingPersisted(name: string, body: () => Promise<void>): Promise<void> {
    scope = name;
    const before = await ledger();
    await body();
    const after = await ledger();
    if (
      after.events === before.events &&
      after.commands === before.commands &&
      after.streams === before.streams
    ) {
      return;
    }
    expect(await eventsOfScope(name), `events written by "${name}"`).toBe(0);
    const { rows } = await getApp().connections.pool.query<{ n: number }>(
      `select count(*)::int as n from commands c
        where c.recorded_at >= $1
          and not exists (select 1 from events e where e.metadata->>'causationId' = c.command_id::text)`,
      [before.now],
    );
    expect(rows[0]?.n, 'command rows without events').toBe(0);
    console.warn(
      `[${label}] ${name}: counts moved (events ${before.events}→${after.events}) by a concurrent run; none of it ours`,
    );
  }

  /** Requests from here on carry `name` in their correlation id (see eventsOfScope). */
  function useScope(name: string): void {
    scope = name;
  }

  /** Logs the statuses `observe` saw: the answers to edge cases, for whoever reads the run. */
  function reportObserved(): void {
    if (observed.size === 0) return;
    const lines = [...observed].map(([what, seen]) => `  ${what}: ${[...seen].join(' | ')}`);
    console.info(`[${label}] statuses observed:\n${lines.join('\n')}`);
  }

  return {
    call,
    callJson,
    observe,
    expectError,
    expectRefusedInput,
    ledger,
    eventsOfScope,
    nothingPersisted,
    useScope,
    reportObserved,
  };
}

/**
 * A fuzz test file's app and calls: starts the app before its tests (startTestApp), and
 * after them reports what `observe` saw and stops it. Every request: never a 5xx, and the
 * documented error code; every property that sends only refused requests runs inside
 * `nothingPersisted`. `label` names the file in what it logs.
 */
export function fuzzApp(label: string) {
  let started: TestApp | undefined;
  const app = (): TestApp => {
    if (!started) throw new Error(`${label}: the app is not started (used outside a test?)`);
    return started;
  };
  const http = fuzzHttp(app, label);
  beforeAll(async () => {
    started = await startTestApp();
  });
  afterAll(async () => {
    http.reportObserved();
    await started?.stop();
  });
  return { app, ...http };
}
