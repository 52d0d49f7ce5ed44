import fc from 'fast-check';
import { ID_PATTERN } from '../../domain';

/**
 * Building blocks for fuzzing the HTTP API: JSON values that can carry number literals
 * JSON.stringify cannot write (`-0`, `1e309`, `9007199254740993`), their serialisation, a
 * few arbitraries, and a raw HTTP call that reports what was actually sent.
 */

/** A JSON number literal written verbatim, e.g. `-0` or `1e309`. */
export class RawJson {
  constructor(readonly text: string) {}
}

export type Json = null | boolean | number | string | RawJson | Json[] | { [key: string]: Json };

export function toJsonText(value: Json): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const members = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v)}`);
    return `{${members.join(',')}}`;
  }
  // JSON.stringify escapes lone surrogates, so the text is always well-formed UTF-16.
  return JSON.stringify(value);
}

export const utf8 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));

/** Builds an object from entries without ever touching a prototype (`__proto__` stays a key). */
export function objectOf(entries: Iterable<readonly [string, Json]>): { [key: string]: Json } {
  return Object.fromEntries(entries);
}

// ---------------------------------------------------------------------------------------
// Arbitraries

/** Strings that look like injection attempts, in every flavour the read and write sides see. */
export const INJECTIONS = [
  "' OR 1=1 --",
  "'; DROP TABLE events; --",
  '{"$ne":null}',
  '{"$gt":""}',
  '*',
  '"query_string"',
  '{"query_string":{"query":"*"}}',
  'status:* OR 1:1',
  '\u0000',
  'a\u0000b',
  '😀',
  '👨‍👩‍👧‍👦',
  '../../etc/passwd',
  '..\\..\\windows',
  '<script>alert(1)</script>',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4j-style lookup, literal on purpose
  '${jndi:ldap://127.0.0.1/x}',
  '%00',
  '%27%20OR%201=1',
  'a\r\nX-Injected: 1',
  '\\',
  '"',
  ' ',
  '',
  '\u202e',
  '\ud800',
  'null',
  'undefined',
  'NaN',
  '__proto__',
  'constructor',
  '-',
  '_all',
  'orders/_search',
] as const;

/** Injection-looking values that are not strings: query DSL or operator objects. */
export const INJECTION_OBJECTS: Json[] = [
  { $ne: null },
  { $gt: '' },
  { $where: 'sleep(1000)' },
  { query_string: { query: '*' } },
  { match_all: {} },
  { script: { source: 'Thread.sleep(1000)' } },
  ['*'],
  [' OR 1=1 --'],
];

/** Number literals beyond what a schema checking for a bounded integer should let through. */
export const RAW_NUMBERS = [
  '1e308',
  '-1e308',
  '1e309',
  '-1e309',
  '-0',
  '-0.0',
  '0.5',
  '1.5',
  '-1',
  '0',
  '1e-320',
  '9007199254740993',
  '-9007199254740993',
  '9007199254740991',
  '123456789012345678901234567890',
  '1E400',
  '2147483648',
  '4294967296',
];

/** Values of every JSON type other than the one a field expects. */
export type JsonType = 'string' | 'number' | 'array' | 'object';

// fast-check types object members as optional; the generated values never hold undefined.
export const smallJson: fc.Arbitrary<Json> = fc.jsonValue({ maxDepth: 2 }).map((v) => v as Json);

/** Huge strings without generating 100k characters one by one. */
export function hugeString(minLength: number, maxLength = 100_000): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.constantFrom('x', 'A-_9', 'é', '😀', "' OR 1=1 --", '\u0000', ' '),
      fc.integer({ min: minLength, max: maxLength }),
    )
    .map(([unit, length]) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length));
}

/** Huge arrays, cheaply: one element repeated. */
export function hugeArray(minLength: number, maxLength: number): fc.Arbitrary<Json[]> {
  return fc
    .tuple(
      fc.constantFrom<Json>('a', 1, null, {}, [], 'sku-1'),
      fc.integer({ min: minLength, max: maxLength }),
    )
    .map(([element, length]) => Array.from({ length }, () => element));
}

export function wrongType(expected: JsonType): fc.Arbitrary<Json> {
  const options: fc.Arbitrary<Json>[] = [fc.constant(null), fc.boolean()];
  if (expected !== 'string') {
    options.push(
      fc.string({ maxLength: 20 }),
      fc.constantFrom(...INJECTIONS),
      fc.constantFrom('1', '0', '-0', '1e3', 'NaN', 'Infinity', '-Infinity', '0x10', ' 5 '),
    );
  }
  if (expected !== 'number') {
    options.push(
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.constantFrom(...RAW_NUMBERS).map((t) => new RawJson(t)),
    );
  }
  if (expected !== 'array') {
    options.push(fc.array(smallJson, { maxLength: 4 }), hugeArray(1_000, 40_000));
  }
  if (expected !== 'object') {
    options.push(
      fc.dictionary(fc.string({ maxLength: 8 }), smallJson, { maxKeys: 3 }),
      fc.constantFrom(...INJECTION_OBJECTS),
    );
  }
  return fc.oneof(...options);
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** A UTC offset as written in ISO-8601 (`Z`, `+05:30`, `-00:00`), and its value in minutes. */
const utcOffset = fc.oneof(
  fc.constant({ text: 'Z', minutes: 0 }),
  fc
    .tuple(fc.constantFrom(1, -1), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
    .map(([sign, h, m]) => ({
      text: `${sign > 0 ? '+' : '-'}${pad2(h)}:${pad2(m)}`,
      minutes: sign * (h * 60 + m),
    })),
);

/**
 * ISO-8601 instants whose UTC instant lies in [min, max] (whole seconds at min, `.999` at
 * max), written as wall-clock time at a random offset with an optional fraction. The
 * wall-clock year keeps four digits (0000–9999): an offset may move it across a year, never
 * out of the format.
 */
export function instantBetween(min: Date, max: Date): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.date({ min, max, noInvalidDate: true }),
      fc.constantFrom('', '.5', '.123', '.123456789'),
      utcOffset,
    )
    .map(([utc, fraction, offset]) => {
      const wholeSeconds = Math.floor(utc.getTime() / 1000) * 1000;
      const wallClock = new Date(wholeSeconds + offset.minutes * 60_000).toISOString();
      return `${wallClock.slice(0, 19)}${fraction}${offset.text}`;
    })
    .filter((s) => /^\d{4}-/.test(s));
}

/** Strings that are not valid ids (1–64 of `A-Z a-z 0-9 _ -`). */
export const invalidIdString: fc.Arbitrary<string> = fc.oneof(
  fc.constant(''),
  fc.constantFrom(...INJECTIONS).filter((s) => !ID_PATTERN.test(s)),
  fc.stringMatching(/^[A-Za-z0-9_-]{65,200}$/),
  hugeString(65),
  fc
    .tuple(
      fc.stringMatching(/^[A-Za-z0-9_-]{0,10}$/),
      fc.constantFrom(' ', '.', '/', '\\', '\u0000', '\n', 'é', '😀', '*', '"', "'", '$', '{'),
      fc.stringMatching(/^[A-Za-z0-9_-]{0,10}$/),
    )
    .map(([a, bad, b]) => `${a}${bad}${b}`),
  fc.string({ unit: 'binary', maxLength: 30 }).filter((s) => !ID_PATTERN.test(s)),
);

export const validId: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), weight: 4 },
  fc.constantFrom('null', '__proto__', 'constructor', 'NaN', '_', '-', 'a'.repeat(64)),
);

/** Integers a `z.number().int().min(min).max(max)` must refuse. */
export function invalidInt(min: number, max: number): fc.Arbitrary<Json> {
  const refused = (v: number) => !(Number.isInteger(v) && v >= min && v <= max);
  return fc.oneof(
    fc.integer({ min: Number.MIN_SAFE_INTEGER, max: min - 1 }),
    fc.integer({ min: max + 1, max: Number.MAX_SAFE_INTEGER }),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter(refused),
    fc.integer({ min, max: max - 1 }).map((v) => v + 0.5),
    fc
      .constantFrom(...RAW_NUMBERS)
      .filter((t) => refused(Number(JSON.parse(t))))
      .map((t) => new RawJson(t)),
    wrongType('number'),
  );
}

/** Strings that fail a format check, plus every wrong type. */
export function invalidFormat(samples: readonly string[], isValid: (s: string) => boolean) {
  return fc
    .oneof(
      fc.constantFrom(...samples),
      fc.constantFrom(...INJECTIONS),
      fc.string({ maxLength: 20 }),
      hugeString(1_000),
      wrongType('string'),
    )
    .filter((v) => typeof v !== 'string' || !isValid(v));
}

// ---------------------------------------------------------------------------------------
// HTTP

export interface Sent {
  method: 'GET' | 'POST';
  /** Path and query, as on the request line. */
  target: string;
  bodyBytes: number;
}

export interface Reply {
  status: number;
  text: string;
  body: unknown;
}

export interface TrpcErrorShape {
  message: string;
  code: number;
  data: {
    code: string;
    httpStatus: number;
    path?: string;
    issues?: { path: string; message: string }[];
    reason?: string;
  };
}

/** Every byte percent-encoded: raw bytes (invalid UTF-8 included) reach the server as sent. */
export function percentEncode(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += `%${b.toString(16).padStart(2, '0').toUpperCase()}`;
  return out;
}

/**
 * One tRPC call over plain HTTP: a query as GET `?input=`, a mutation as POST with a JSON
 * body. `input` is the raw bytes of the JSON (or not JSON at all); `authorization` the
 * header as sent (undefined: none).
 */
export async function rawCall(
  baseUrl: string,
  procedure: string,
  type: 'query' | 'mutation',
  input: Uint8Array | undefined,
  authorization: string | undefined,
  extraHeaders: Record<string, string> = {},
): Promise<{ reply: Reply; sent: Sent }> {
  const headers: Record<string, string> = { ...extraHeaders };
  if (authorization !== undefined) headers.authorization = authorization;
  let target = `/trpc/${procedure}`;
  let body: Uint8Array | undefined;
  if (type === 'query') {
    if (input !== undefined) target += `?input=${percentEncode(input)}`;
  } else {
    headers['content-type'] = 'application/json';
    body = input ?? new Uint8Array();
  }
  const res = await fetch(`${baseUrl}${target}`, {
    method: type === 'query' ? 'GET' : 'POST',
    headers,
    ...(body !== undefined ? { body } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  return {
    reply: { status: res.status, text, body: parsed },
    sent: {
      method: type === 'query' ? 'GET' : 'POST',
      target,
      bodyBytes: body?.byteLength ?? 0,
    },
  };
}

export function describeReply(reply: Reply, sent?: Sent): string {
  const request = sent
    ? `${sent.method} ${sent.target.slice(0, 200)}${sent.target.length > 200 ? '…' : ''} (${sent.bodyBytes} body bytes) → `
    : '';
  return `${request}${reply.status} ${reply.text.slice(0, 400)}`;
}

/** The tRPC error of a reply, or a failure naming what came back instead. */
export function trpcError(reply: Reply, sent?: Sent): TrpcErrorShape {
  const body = reply.body as { error?: TrpcErrorShape } | null;
  const error = body && typeof body === 'object' ? body.error : undefined;
  if (
    !error ||
    typeof error.message !== 'string' ||
    typeof error.data?.code !== 'string' ||
    typeof error.data.httpStatus !== 'number'
  ) {
    throw new Error(`expected a tRPC error body: ${describeReply(reply, sent)}`);
  }
  return error;
}

// ---------------------------------------------------------------------------------------
// Running properties

/**
 * fast-check parameters that stop a property after `timeLimitMs`, so a failure found late
 * or a slow shrink still ends in fast-check's report (seed, path and the smallest
 * counterexample found so far) instead of the test runner's timeout, which keeps neither.
 * Give it less than the test's timeout. Running out of time before any failure is no
 * failure (the fuzz asserts behaviour, not speed): it is logged with the runs done.
 * FUZZ_SEED=<n> replays a run; FUZZ_PATH=<path> (with `-t` picking the one property)
 * replays its counterexample, or resumes an interrupted shrink.
 */
export function fuzzParameters<T>(
  numRuns: number,
  timeLimitMs: number,
  env: Record<string, string | undefined> = process.env,
): fc.Parameters<T> {
  const logInterrupt: fc.Plugin<T> = () => ({
    onAllRunsComplete: (details) => {
      if (details.interrupted && !details.failed) {
        console.warn(
          `[fuzz] stopped after ${details.numRuns} of ${numRuns} runs (time limit ${timeLimitMs} ms), seed ${details.seed}`,
        );
      }
    },
  });
  return {
    numRuns,
    ...(env.FUZZ_SEED ? { seed: Number(env.FUZZ_SEED) } : {}),
    ...(env.FUZZ_PATH ? { path: env.FUZZ_PATH } : {}),
    // The time limit never looks at the values: it fits a property of any type.
    plugins: [fc.interruptAfterTimeLimit(timeLimitMs) as fc.Plugin<T>, logInterrupt],
  };
}
