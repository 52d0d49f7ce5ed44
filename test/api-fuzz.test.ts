import { vi } from 'vitest';

// Workflow ids of its own: "a read model never rebuilt" must not depend on whether another
// file of the run rebuilt one.
vi.hoisted(() => {
  process.env.TASK_QUEUE_PREFIX = `${process.env.TASK_QUEUE_PREFIX ?? 'test'}-fuzz`;
});

import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cancelOrderInput,
  completeOrderInput,
  placeOrderInput,
  refundOrderInput,
} from '../api/inputs';
import {
  commandLookupInput,
  getOrderInput,
  MAX_RANGE_MONTHS,
  monthlyReportInput,
  monthlySeriesInput,
  parkedProjectionInput,
  readModelInput,
  rebuildInput,
  reconcileInput,
  searchOrdersInput,
  topProductsInput,
} from '../api/query-inputs';
import { createAppRouter } from '../api/router';
import { config } from '../config/env';
import { addMonths, ID_PATTERN, monthIn } from '../domain';
import { startTestApp, type TestApp, TOKENS } from './support/app';
import {
  describeReply,
  fuzzParameters,
  hugeString,
  INJECTION_OBJECTS,
  INJECTIONS,
  instantBetween,
  invalidFormat,
  invalidIdString,
  invalidInt,
  type Json,
  objectOf,
  RawJson,
  type Reply,
  rawCall,
  type Sent,
  smallJson,
  toJsonText,
  trpcError,
  utf8,
  validId,
  wrongType,
} from './support/fuzz';
import { waitFor } from './support/wait';

// Property-based fuzz of every API input through real HTTP against the real stack.
// Every request: never a 5xx, and the documented error code. Every property that sends only
// refused requests: nothing reaches the event store.

const BODY_LIMIT = 64 * 1024; // startTestApp's maxBodyBytes
/** Node's default limit on the request line plus headers (--max-http-header-size). */
const HEADER_LIMIT = 16 * 1024;
/** vitest.config.ts's testTimeout, for the tests that do not set their own. */
const TEST_TIMEOUT = 60_000;
const PROPERTY_TIMEOUT = 90_000;
/** Out of a test's timeout: what is left after the property for its report and the ledger. */
const AFTER_PROPERTY_MS = 15_000;

type Role = keyof typeof TOKENS;
const ROLES: Role[] = ['reader', 'writer', 'admin'];
const rolesAtLeast = (role: Role): Role[] => ROLES.slice(ROLES.indexOf(role));
const bearer = (role: Role) => `Bearer ${TOKENS[role]}`;

/**
 * fast-check settings for a property given `share` of a test's time: it stops before the
 * test times out, so even a slow shrink reports its seed and counterexample. FUZZ_SEED=<n>
 * replays a run.
 */
const runs = <T>(numRuns: number, testTimeoutMs = TEST_TIMEOUT, share = 1): fc.Parameters<T> =>
  fuzzParameters<T>(numRuns, Math.floor((testTimeoutMs - AFTER_PROPERTY_MS) * share));

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  const lines = [...observed].map(([what, seen]) => `  ${what}: ${[...seen].join(' | ')}`);
  console.info(`[api-fuzz] statuses observed:\n${lines.join('\n')}`);
  await app?.stop();
});

// ---------------------------------------------------------------------------------------
// Calls, oracles, and the persistence ledger

/** Every request carries `x-correlation-id: <RUN_TAG>.<scope>.<n>`; events store it. */
const RUN_TAG = `fuzz-${randomUUID()}`;
let scope = 'setup';
let sequence = 0;

interface Call {
  reply: Reply;
  sent: Sent;
}

interface Procedure {
  name: string;
  type: 'query' | 'mutation';
  /** The least role that may call it. */
  role: Role;
}

async function call(
  proc: Procedure,
  input: Uint8Array | undefined,
  authorization: string | undefined,
): Promise<Call> {
  sequence += 1;
  const result = await rawCall(app.url, proc.name, proc.type, input, authorization, {
    'x-correlation-id': `${RUN_TAG}.${scope}.${sequence}`,
  });
  expect(
    result.reply.status,
    `never a 5xx: ${describeReply(result.reply, result.sent)}`,
  ).toBeLessThan(500);
  return result;
}

const callJson = (proc: Procedure, input: Json | undefined, role: Role | undefined) =>
  call(
    proc,
    input === undefined ? undefined : utf8(toJsonText(input)),
    role ? bearer(role) : undefined,
  );

/** Statuses seen for the edge cases worth knowing (malformed JSON, oversized requests), printed at the end. */
const observed = new Map<string, Set<string>>();
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

const requestLineOver = (sent: Sent, limit: number) =>
  sent.method === 'GET' && sent.target.length > limit;

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
  expect(Array.isArray(issues) && issues.length > 0, `${what}: issues listed: ${info}`).toBe(true);
  for (const issue of issues ?? []) {
    expect(typeof issue.path, info).toBe('string');
    expect(issue.message.length, info).toBeGreaterThan(0);
  }
  for (const path of paths) {
    const found = issues?.some((i) => i.path === path || i.path.startsWith(`${path}.`));
    expect(found, `${what}: an issue at "${path}": ${info}`).toBe(true);
  }
}

interface Ledger {
  events: number;
  commands: number;
  streams: number;
  now: Date;
}

async function ledger(): Promise<Ledger> {
  const { rows } = await app.connections.pool.query<{
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
  const { rows } = await app.connections.pool.query<{ n: number }>(
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
  const { rows } = await app.connections.pool.query<{ n: number }>(
    `select count(*)::int as n from commands c
      where c.recorded_at >= $1
        and not exists (select 1 from events e where e.metadata->>'causationId' = c.command_id::text)`,
    [before.now],
  );
  expect(rows[0]?.n, 'command rows without events').toBe(0);
  console.warn(
    `[api-fuzz] ${name}: counts moved (events ${before.events}→${after.events}) by a concurrent run; none of it ours`,
  );
}

// ---------------------------------------------------------------------------------------
// The procedures, field by field: what is valid, and values that must be refused

interface Field {
  name: string;
  required: boolean;
  valid: fc.Arbitrary<Json>;
  invalid: fc.Arbitrary<Json>;
}

interface ProcedureSpec extends Procedure {
  fields: Field[];
  schema: { safeParse(input: unknown): { success: boolean } };
  /** A field that must match a pattern or an enum: bytes injected into it make it invalid. */
  patternField: string;
  /** Valid inputs, when they are more than each field being valid (topProducts: from ≤ to). */
  valid?: fc.Arbitrary<{ [key: string]: Json }>;
}

const moreCodePointsThan = (n: number) => (s: string) => [...s].length > n;
const pad2 = (n: number) => String(n).padStart(2, '0');
const LOOSE_UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
// Seconds may be left out, and an offset written +05:30, +0530 or +05 (ISO 8601 allows each).
const LOOKS_LIKE_INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d(:?\d\d)?)$/;
/** The same instant in the spelling Date.parse reads: seconds and a +HH:MM offset. */
const fullInstant = (s: string) =>
  s
    .replace(/^(\d{4}-\d\d-\d\dT\d\d:\d\d)(?=[Z+-])/, '$1:00')
    .replace(/([+-]\d\d)(\d\d)$/, '$1:$2')
    .replace(/([+-]\d\d)$/, '$1:00');
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const CURRENCY = /^[A-Z]{3}$/;
const STATUSES = ['placed', 'completed', 'cancelled', 'refunded'];
const READ_MODELS = ['elasticsearch', 'redis'];

/**
 * Instants the schemas accept: any offset, as long as the instant in UTC falls in years
 * 0001–9999 (what PostgreSQL and Elasticsearch both store).
 */
const EDGE_INSTANTS = [
  '0001-01-01T00:00:00Z',
  '2024-08-03T10:00Z',
  '2024-08-03T10:00:00+0530',
  '2024-08-03T10:00-03',
  '0000-12-31T23:59:59-00:01',
  '9999-12-31T23:59:59.999999Z',
  '9999-12-31T23:59:59+00:01',
  '2024-02-29T12:00:00+05:30',
  '1970-01-01T00:00:00Z',
];
const validInstant: fc.Arbitrary<string> = fc.oneof(fc.constantFrom(...EDGE_INSTANTS), {
  weight: 4,
  arbitrary: instantBetween(new Date('0001-01-01T00:00:00Z'), new Date('9999-12-31T23:59:59.999Z')),
});
/** Well-formed instants outside years 0001–9999 in UTC, by their year or by their offset. */
const OUT_OF_RANGE_INSTANTS = [
  '0000-01-01T00:00:00Z',
  '0000-12-31T23:59:59.999Z',
  '0001-01-01T00:00:00+00:01',
  '9999-12-31T23:59:59-00:01',
  '9999-12-31T23:00:00-01:00',
];
const outOfRangeInstant: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...OUT_OF_RANGE_INSTANTS),
  instantBetween(new Date('0000-01-01T00:00:00Z'), new Date('0000-12-31T23:59:59.999Z')),
  instantBetween(new Date('+010000-01-01T00:00:00Z'), new Date('+010000-01-01T01:59:59.999Z')),
);
const INVALID_INSTANTS = [
  '2025-13-01T00:00:00Z',
  '2025-02-30T00:00:00Z',
  '2025-02-29T00:00:00Z',
  '2025-01-01',
  '2025-01-01T00:00:00',
  '2025-01-01T24:00:00Z',
  '2025-01-01T00:00:60Z',
  '2025-01-01 00:00:00Z',
  '2025-01-01T00:00:00+24:00',
  '2025-01-01T00:00:00z',
  '20250101T000000Z',
  '+002025-01-01T00:00:00Z',
  '-000001-01-01T00:00:00Z',
  '2025-01-01T00:00:00.Z',
  '1735689600000',
  'yesterday',
  'now',
];
/** The oracle: the format by a loose pattern, the calendar by the samples, the range in UTC. */
function isAcceptedInstant(s: string): boolean {
  if (!LOOKS_LIKE_INSTANT.test(s) || INVALID_INSTANTS.includes(s)) return false;
  const year = new Date(fullInstant(s)).getUTCFullYear();
  return year >= 1 && year <= 9999;
}
const instantField = (name: string): Field => ({
  name,
  required: false,
  valid: validInstant,
  invalid: fc.oneof(
    invalidFormat([...INVALID_INSTANTS, ...OUT_OF_RANGE_INSTANTS], isAcceptedInstant),
    outOfRangeInstant,
  ),
});

const validMonth = fc
  .tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 1, max: 12 }))
  .map(([y, m]) => `${String(y).padStart(4, '0')}-${pad2(m)}`);
const monthField = (name: string): Field => ({
  name,
  required: true,
  valid: validMonth,
  invalid: invalidFormat(
    [
      '2025-13',
      '2025-00',
      '2025-1',
      '25-01',
      '2025-01-01',
      '2025/01',
      '202501',
      '2025-1O',
      ' 2025-01',
      '2025-01 ',
      '2025-01\n',
      '-2025-01',
      '+2025-01',
      '２０２５-01',
    ],
    (s) => MONTH.test(s),
  ),
});

const idField = (name: string, required = true): Field => ({
  name,
  required,
  valid: validId,
  invalid: fc.oneof(invalidIdString, wrongType('string')),
});
const MALFORMED_CURRENCIES = [
  'eur',
  'EU',
  'EURO',
  'E1R',
  ' EUR',
  'EUR ',
  'EUR\n',
  'ÉUR',
  '€',
  'usd',
  'EUr',
];
/** Queries read what is stored: any three upper-case letters. */
const currencyField = (required = true): Field => ({
  name: 'currency',
  required,
  valid: fc.stringMatching(CURRENCY),
  invalid: invalidFormat(MALFORMED_CURRENCIES, (s) => CURRENCY.test(s)),
});
/** A new order needs an ISO 4217 code the runtime lists; well-formed others are refused. */
const ISO_CURRENCIES = Intl.supportedValuesOf('currency');
const newOrderCurrencyField: Field = {
  name: 'currency',
  required: true,
  valid: fc.constantFrom(...ISO_CURRENCIES),
  invalid: fc.oneof(
    invalidFormat(MALFORMED_CURRENCIES, (s) => ISO_CURRENCIES.includes(s)),
    fc
      .constantFrom('XYZ', 'ABC', 'QQQ', 'XXX', 'XTS', 'DEM')
      .filter((s) => !ISO_CURRENCIES.includes(s)),
  ),
};
const intField = (name: string, min: number, max: number, required = false): Field => ({
  name,
  required,
  valid: fc.integer({ min, max }),
  invalid: invalidInt(min, max),
});
const enumField = (name: string, values: string[], samples: string[], required = true): Field => ({
  name,
  required,
  valid: fc.constantFrom(...values),
  invalid: invalidFormat(samples, (s) => values.includes(s)),
});
const commandIdField: Field = {
  name: 'commandId',
  required: false,
  valid: fc.uuid(),
  invalid: invalidFormat(
    [
      'not-a-uuid',
      '123e4567-e89b-12d3-a456-42661417400',
      '{123e4567-e89b-12d3-a456-426614174000}',
      '123e4567-e89b-12d3-a456-426614174000x',
      'urn:uuid:123e4567-e89b-12d3-a456-426614174000',
    ],
    (s) => LOOSE_UUID.test(s),
  ),
};
/** `at` must not be in the future: valid ones end a day before the run, future ones are refused. */
const DAY_MS = 86_400_000;
const pastInstant: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...EDGE_INSTANTS.filter((i) => Date.parse(fullInstant(i)) < Date.now())),
  {
    weight: 4,
    arbitrary: instantBetween(new Date('0001-01-01T00:00:00Z'), new Date(Date.now() - DAY_MS)),
  },
);
const futureInstant: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('9999-12-31T23:59:59.999999Z', '2099-01-01T00:00:00Z'),
  instantBetween(new Date(Date.now() + DAY_MS), new Date('9999-12-31T23:59:59.999Z')),
);
const atField: Field = {
  ...instantField('at'),
  valid: pastInstant,
  invalid: fc.oneof(instantField('at').invalid, futureInstant),
};
/** A reason the API stores: 1–500 UTF-16 code units of well-formed text without U+0000. */
const isValidReason = (s: string) =>
  s.length >= 1 && s.length <= 500 && s.isWellFormed() && !s.includes('\u0000');
/** Text PostgreSQL cannot store (U+0000) or that is not well-formed UTF-16 (lone surrogates). */
const unstorableReason: fc.Arbitrary<string> = fc
  .tuple(
    fc.string({ maxLength: 50 }),
    fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff'),
    fc.string({ maxLength: 50 }),
  )
  .map(([a, bad, b]) => `${a}${bad}${b}`);
const reasonField: Field = {
  name: 'reason',
  required: true,
  valid: fc.oneof(
    fc.string({ minLength: 1, maxLength: 500 }),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 120 }).filter(isValidReason),
    fc.constantFrom(...INJECTIONS.filter(isValidReason), 'x'.repeat(500), '😀'.repeat(250)),
  ),
  // Over 500 UTF-16 units even when zod would count fewer code points (251 emoji).
  invalid: fc.oneof(
    fc.constant(''),
    hugeString(501),
    fc.constantFrom('😀'.repeat(251), `${'😀'.repeat(250)}x`),
    unstorableReason,
    wrongType('string'),
  ),
};

const validItem = fc.record({
  productId: validId,
  quantity: fc.integer({ min: 1, max: 10_000 }),
  unitPriceMinor: fc.integer({ min: 0, max: 1_000_000_000 }),
});
const invalidItem: fc.Arbitrary<Json> = fc.oneof(
  wrongType('object'),
  fc
    .tuple(validItem, invalidIdString)
    .map(([item, productId]) => objectOf([...Object.entries(item), ['productId', productId]])),
  fc
    .tuple(validItem, invalidInt(1, 10_000))
    .map(([item, quantity]) => objectOf([...Object.entries(item), ['quantity', quantity]])),
  fc
    .tuple(validItem, invalidInt(0, 1_000_000_000))
    .map(([item, price]) => objectOf([...Object.entries(item), ['unitPriceMinor', price]])),
  fc
    .tuple(validItem, fc.constantFrom('productId', 'quantity', 'unitPriceMinor'))
    .map(([item, drop]) => objectOf(Object.entries(item).filter(([k]) => k !== drop))),
  fc
    .tuple(validItem, fc.constantFrom('lineTotalMinor', 'currency', '__proto__', 'price', ''))
    .map(([item, extra]) => objectOf([...Object.entries(item), [extra, 1]])),
);
const itemsField: Field = {
  name: 'items',
  required: true,
  valid: fc.array(validItem, { minLength: 1, maxLength: 5 }),
  invalid: fc.oneof(
    wrongType('array'),
    fc.constant<Json>([]),
    // Too many lines, one repeated: from just over the limit to well over the body limit.
    fc
      .tuple(validItem, fc.integer({ min: 101, max: 2_000 }))
      .map(([item, n]) => Array.from({ length: n }, () => item)),
    fc
      .tuple(
        fc.array(validItem, { maxLength: 4 }),
        invalidItem,
        fc.array(validItem, { maxLength: 4 }),
      )
      .map(([before, bad, after]) => [...before, bad, ...after]),
  ),
};
const readModelField = enumField('readModel', READ_MODELS, [
  'Redis',
  'REDIS',
  'es',
  'elastic',
  'elasticsearch ',
  'postgres',
  'all',
  '*',
  'redis\u0000',
]);

const PLACE: ProcedureSpec = {
  name: 'orders.place',
  type: 'mutation',
  role: 'writer',
  schema: placeOrderInput,
  patternField: 'customerId',
  fields: [
    commandIdField,
    idField('customerId'),
    idField('region'),
    newOrderCurrencyField,
    itemsField,
    atField,
  ],
};
const COMPLETE: ProcedureSpec = {
  name: 'orders.complete',
  type: 'mutation',
  role: 'writer',
  schema: completeOrderInput,
  patternField: 'orderId',
  fields: [commandIdField, idField('orderId'), atField],
};
const CANCEL: ProcedureSpec = {
  name: 'orders.cancel',
  type: 'mutation',
  role: 'writer',
  schema: cancelOrderInput,
  patternField: 'orderId',
  fields: [commandIdField, idField('orderId'), reasonField],
};
const REFUND: ProcedureSpec = {
  name: 'orders.refund',
  type: 'mutation',
  role: 'writer',
  schema: refundOrderInput,
  patternField: 'orderId',
  fields: [commandIdField, idField('orderId'), reasonField, atField],
};
const forceField: Field = {
  name: 'force',
  required: false,
  valid: fc.boolean(),
  invalid: fc.constantFrom<Json>('true', 'false', 1, 0, null, [], {}),
};
const REBUILD: ProcedureSpec = {
  name: 'admin.projections.rebuild',
  type: 'mutation',
  role: 'admin',
  schema: rebuildInput,
  patternField: 'readModel',
  fields: [readModelField, forceField],
};
const GET: ProcedureSpec = {
  name: 'orders.get',
  type: 'query',
  role: 'reader',
  schema: getOrderInput,
  patternField: 'orderId',
  fields: [idField('orderId'), intField('minVersion', 1, 1_000_000)],
};
const cursorField: Field = {
  name: 'cursor',
  required: false,
  valid: fc.string({ maxLength: 1024 }),
  invalid: fc.oneof(wrongType('string'), hugeString(1025, 20_000).filter(moreCodePointsThan(1024))),
};
const SEARCH: ProcedureSpec = {
  name: 'orders.search',
  type: 'query',
  role: 'reader',
  schema: searchOrdersInput,
  patternField: 'region',
  fields: [
    enumField('status', STATUSES, ['Placed', 'PLACED', 'open', 'canceled', 'placed '], false),
    idField('region', false),
    idField('customerId', false),
    idField('productId', false),
    currencyField(false),
    { ...monthField('reportMonth'), required: false },
    instantField('placedFrom'),
    instantField('placedTo'),
    intField('pageSize', 1, 100),
    cursorField,
  ],
};
// placedFrom after placedTo is refused, so a valid search has them in order.
SEARCH.valid = fieldsInput(SEARCH.fields).map((input) => {
  const { placedFrom: from, placedTo: to } = input;
  if (
    typeof from !== 'string' ||
    typeof to !== 'string' ||
    Date.parse(fullInstant(from)) <= Date.parse(fullInstant(to))
  )
    return input;
  return objectOf(
    Object.entries(input).map(
      ([k, v]): Entry => (k === 'placedFrom' ? [k, to] : k === 'placedTo' ? [k, from] : [k, v]),
    ),
  );
});
const MONTHLY: ProcedureSpec = {
  name: 'reports.monthly',
  type: 'query',
  role: 'reader',
  schema: monthlyReportInput,
  patternField: 'month',
  fields: [monthField('month'), currencyField(), idField('region', false)],
};
/** `from` plus 0 … MAX_RANGE_MONTHS - 1 months, within year 9999: the ranges the API serves. */
const validMonthRange = fc
  .tuple(validMonth, fc.integer({ min: 0, max: MAX_RANGE_MONTHS - 1 }))
  .map(([from, span]) => {
    const [y, m] = from.split('-').map(Number) as [number, number];
    const last = Math.min(y * 12 + m - 1 + span, 9999 * 12 + 11);
    return [from, `${String(Math.floor(last / 12)).padStart(4, '0')}-${pad2((last % 12) + 1)}`];
  });
const TOP_PRODUCTS: ProcedureSpec = {
  name: 'reports.topProducts',
  type: 'query',
  role: 'reader',
  schema: topProductsInput,
  patternField: 'currency',
  fields: [monthField('from'), monthField('to'), currencyField(), intField('limit', 1, 100)],
  valid: fc
    .tuple(
      validMonthRange,
      fc.stringMatching(CURRENCY),
      fc.option(fc.integer({ min: 1, max: 100 })),
    )
    .map(([[from = '', to = ''], currency, limit]) => {
      return objectOf([
        ['from', from],
        ['to', to],
        ['currency', currency],
        ...(limit === null ? [] : [['limit', limit] as const]),
      ]);
    }),
};
const MONTHLY_SERIES: ProcedureSpec = {
  name: 'reports.monthlySeries',
  type: 'query',
  role: 'reader',
  schema: monthlySeriesInput,
  patternField: 'currency',
  fields: [monthField('from'), monthField('to'), currencyField(), idField('region', false)],
  valid: fc
    .tuple(validMonthRange, fc.stringMatching(CURRENCY), fc.option(validId))
    .map(([[from, to], currency, region]) =>
      objectOf([
        ['from', from as string],
        ['to', to as string],
        ['currency', currency],
        ...(region === null ? [] : [['region', region] as const]),
      ]),
    ),
};
const parkedSpec = (name: string): ProcedureSpec => ({
  name,
  type: 'mutation',
  role: 'admin',
  schema: parkedProjectionInput,
  patternField: 'orderId',
  fields: [readModelField, idField('orderId')],
});
const PARKED_RETRY = parkedSpec('admin.parked.retry');
const PARKED_SKIP = parkedSpec('admin.parked.skip');
const RECONCILE: ProcedureSpec = {
  name: 'admin.reconcile',
  type: 'mutation',
  role: 'admin',
  schema: reconcileInput,
  patternField: 'month',
  fields: [monthField('month')],
};
const REBUILD_PROGRESS: ProcedureSpec = {
  name: 'admin.projections.rebuildProgress',
  type: 'query',
  role: 'admin',
  schema: readModelInput,
  patternField: 'readModel',
  fields: [readModelField],
};
const COMMAND_GET: ProcedureSpec = {
  name: 'admin.commands.get',
  type: 'query',
  role: 'admin',
  schema: commandLookupInput,
  patternField: 'commandId',
  fields: [{ ...commandIdField, required: true }],
};
/** Takes no input at all. */
const STATUS: Procedure = { name: 'admin.projections.status', type: 'query', role: 'admin' };
const NO_INPUT: Procedure[] = [
  STATUS,
  { name: 'admin.parked.list', type: 'query', role: 'admin' },
  { name: 'admin.temporalUi', type: 'query', role: 'admin' },
  { name: 'session.whoami', type: 'query', role: 'reader' },
];

const WITH_INPUT: ProcedureSpec[] = [
  PLACE,
  COMPLETE,
  CANCEL,
  REFUND,
  REBUILD,
  GET,
  SEARCH,
  MONTHLY,
  TOP_PRODUCTS,
  REBUILD_PROGRESS,
  COMMAND_GET,
  MONTHLY_SERIES,
  PARKED_RETRY,
  PARKED_SKIP,
  RECONCILE,
];
const ALL: Procedure[] = [...WITH_INPUT, ...NO_INPUT];
const MUTATIONS = WITH_INPUT.filter((p) => p.type === 'mutation');
const isSpec = (p: Procedure): p is ProcedureSpec => 'fields' in p;

/**
 * The procedures the API serves, read from its router (not from the table above), each with
 * its table entry: a procedure added to the router without one fails the sweep instead of
 * going unswept, and so does a table entry of the wrong type.
 */
function servedProcedures(): Procedure[] {
  const router = createAppRouter({
    ...app.connections,
    esPrefix: config().ES_INDEX_PREFIX,
    redisPrefix: config().REDIS_KEY_PREFIX,
    reportTimeZone: config().REPORT_TIMEZONE,
  });
  // At run time tRPC keeps every procedure here under its dotted path (its type says nested).
  const byPath = router._def.procedures as unknown as Record<string, { _def: { type: string } }>;
  const served = Object.entries(byPath);
  const table = new Map(ALL.map((p) => [p.name, p]));
  expect(
    served.filter(([name]) => !table.has(name)).map(([name]) => name),
    'procedures with no entry in the sweep table (least role, input fields)',
  ).toEqual([]);
  return served.map(([name, procedure]) => {
    const entry = table.get(name) as Procedure;
    expect(procedure._def.type, `${name}: its type in the sweep table`).toBe(entry.type);
    return entry;
  });
}

type Entry = readonly [string, Json];

function validInput(p: ProcedureSpec): fc.Arbitrary<{ [key: string]: Json }> {
  return p.valid ?? fieldsInput(p.fields);
}

/** An input of valid values for the fields, the optional ones present or not. */
function fieldsInput(fields: Field[]): fc.Arbitrary<{ [key: string]: Json }> {
  const parts = fields.map((f) =>
    f.required
      ? f.valid.map((v): Entry[] => [[f.name, v]])
      : fc
          .option(f.valid, { nil: undefined })
          .map((v): Entry[] => (v === undefined ? [] : [[f.name, v]])),
  );
  return fc.tuple(...parts).map((groups) => objectOf(groups.flat()));
}

type Mutation =
  | { kind: 'invalid'; field: string; value: Json }
  | { kind: 'missing'; field: string }
  | { kind: 'extra'; key: string; value: Json };

const EXTRA_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '$where',
  '$ne',
  'id',
  'orderID',
  'OrderId',
  'order_id',
  'at',
  'reason',
  'items',
  'status',
  'commandId',
  'input',
  'json',
  'batch',
  '',
  ' ',
];

function extraKey(p: ProcedureSpec): fc.Arbitrary<string> {
  const known = new Set(p.fields.map((f) => f.name));
  return fc
    .oneof(
      fc.constantFrom(...EXTRA_KEYS),
      fc.string({ maxLength: 12 }),
      fc.string({ unit: 'binary', maxLength: 6 }),
    )
    .filter((k) => !known.has(k));
}

function mutationArb(p: ProcedureSpec): fc.Arbitrary<Mutation> {
  const options: fc.Arbitrary<Mutation>[] = [];
  for (const f of p.fields) {
    options.push(f.invalid.map((value): Mutation => ({ kind: 'invalid', field: f.name, value })));
    if (f.required) options.push(fc.constant<Mutation>({ kind: 'missing', field: f.name }));
  }
  options.push(
    fc
      .tuple(extraKey(p), smallJson)
      .map(([key, value]): Mutation => ({ kind: 'extra', key, value })),
  );
  return fc.oneof(...options);
}

const mutationsArb = (p: ProcedureSpec) =>
  fc.uniqueArray(mutationArb(p), {
    minLength: 1,
    maxLength: 3,
    selector: (m) => (m.kind === 'extra' ? `extra:${m.key}` : m.field),
  });

/** The mutated input and the issue paths the API must report for it. */
function applyMutations(
  base: { [key: string]: Json },
  mutations: readonly Mutation[],
): { input: { [key: string]: Json }; paths: string[] } {
  const entries = new Map<string, Json>(Object.entries(base));
  const paths: string[] = [];
  for (const m of mutations) {
    if (m.kind === 'invalid') {
      entries.set(m.field, m.value);
      paths.push(m.field);
    } else if (m.kind === 'missing') {
      entries.delete(m.field);
      paths.push(m.field);
    } else {
      entries.set(m.key, m.value);
      paths.push('(input)');
    }
  }
  return { input: objectOf(entries), paths };
}

/** Whole inputs that are no object of the procedure's shape at all. */
function garbageInput(p: ProcedureSpec): fc.Arbitrary<Json | undefined> {
  const known = new Set(p.fields.map((f) => f.name));
  const needsSomething = p.fields.some((f) => f.required);
  return fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom('1e308', '-0', '1e309', '9007199254740993').map((t) => new RawJson(t)),
    fc.string({ maxLength: 30 }),
    fc.constantFrom(...INJECTIONS),
    fc.array(smallJson, { maxLength: 5 }),
    fc.constantFrom(...INJECTION_OBJECTS),
    fc
      .dictionary(fc.string({ maxLength: 10 }), smallJson, { minKeys: 1, maxKeys: 4 })
      .filter((d) => Object.keys(d).some((k) => !known.has(k))),
    ...(needsSomething ? [fc.constant({})] : []),
  );
}

/** Text that JSON.parse refuses. */
const BROKEN_JSON = [
  "{'orderId':'x'}",
  '{"orderId":"x",}',
  '{orderId:"x"}',
  'NaN',
  'Infinity',
  '-',
  '{"a":NaN}',
  '{"a":01}',
  '[1,]',
  '/* c */{}',
  '{"a":1e}',
  '"\\x41"',
  '{"a":"\\u00ZZ"}',
  '{"a":"tab\there"}',
  '{"a":"line\nbreak"}',
  'undefined',
  '{',
  '}',
  '{"a":1}}',
  'tru',
  'nul',
  '\u0000',
  '{"a" 1}',
  '{"a":1 "b":2}',
  '{"a":.5}',
  '{"a":+1}',
  '{"a":0x10}',
  '\u00a0{}',
];

const INVALID_UTF8: number[][] = [
  [0xff],
  [0xfe],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xc3],
  [0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xe2, 0x82],
];
const MARK = 'QQfuzzMARKqq';

type Corruption =
  | { kind: 'truncate'; fraction: number }
  | { kind: 'trailing'; garbage: string }
  | { kind: 'leading'; garbage: string }
  | { kind: 'invalidUtf8'; bytes: number[] }
  | { kind: 'broken'; text: string };

const notJsonWhitespace = (s: string) => /[^ \t\n\r]/.test(s) && !s.includes('\ufeff');
const corruptionArb: fc.Arbitrary<Corruption> = fc.oneof(
  fc
    .double({ min: 0, max: 1, maxExcluded: true, noNaN: true })
    .map((fraction): Corruption => ({ kind: 'truncate', fraction })),
  fc
    .oneof(
      fc.string({ minLength: 1, maxLength: 20 }),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }),
    )
    .filter(notJsonWhitespace)
    .map((garbage): Corruption => ({ kind: 'trailing', garbage })),
  fc
    .oneof(
      fc.string({ minLength: 1, maxLength: 20 }),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }),
    )
    .filter(notJsonWhitespace)
    .map((garbage): Corruption => ({ kind: 'leading', garbage })),
  fc.constantFrom(...INVALID_UTF8).map((bytes): Corruption => ({ kind: 'invalidUtf8', bytes })),
  fc.constantFrom(...BROKEN_JSON).map((text): Corruption => ({ kind: 'broken', text })),
);

/** The corrupted bytes, and whether they still parse as JSON (only invalid UTF-8 does). */
function corrupt(
  p: ProcedureSpec,
  base: { [key: string]: Json },
  c: Corruption,
): { bytes: Uint8Array; parses: boolean } {
  const text = toJsonText(base);
  switch (c.kind) {
    case 'truncate': {
      const bytes = utf8(text);
      return { bytes: bytes.slice(0, Math.floor(c.fraction * bytes.length)), parses: false };
    }
    case 'trailing':
      return { bytes: utf8(text + c.garbage), parses: false };
    case 'leading':
      return { bytes: utf8(c.garbage + text), parses: false };
    case 'broken':
      return { bytes: utf8(c.text), parses: false };
    case 'invalidUtf8': {
      // Raw bytes at the start of a pattern-checked string: they decode to U+FFFD, so the
      // JSON parses but the value fails its pattern.
      const current = base[p.patternField];
      const marked = objectOf([
        ...Object.entries(base),
        [p.patternField, `${MARK}${typeof current === 'string' ? current : 'x'}`],
      ]);
      const bytes = Buffer.from(toJsonText(marked), 'utf8');
      const at = bytes.indexOf(MARK);
      const out = Buffer.concat([
        bytes.subarray(0, at),
        Buffer.from(c.bytes),
        bytes.subarray(at + MARK.length),
      ]);
      return { bytes: new Uint8Array(out), parses: true };
    }
  }
}

// ---------------------------------------------------------------------------------------

describe('oracle sanity (no HTTP): generated inputs are what the tests claim', () => {
  it.each(WITH_INPUT.map((p) => [p.name, p] as const))(
    '%s: valid inputs pass the schema, mutated ones fail it',
    (_name, p) => {
      fc.assert(
        fc.property(validInput(p), mutationsArb(p), (base, mutations) => {
          const ok = p.schema.safeParse(JSON.parse(toJsonText(base)));
          expect(ok.success, `valid: ${toJsonText(base).slice(0, 300)}`).toBe(true);
          const { input } = applyMutations(base, mutations);
          const text = toJsonText(input);
          expect(
            p.schema.safeParse(JSON.parse(text)).success,
            `invalid: ${text.slice(0, 300)}`,
          ).toBe(false);
        }),
        runs(150),
      );
    },
  );

  it('a failure whose shrink outlasts the time limit still reports its seed and counterexample', async () => {
    // Fails at once, then shrinks one slow step at a time: far more steps than fit the limit.
    const slowToShrink = fc.asyncProperty(
      fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 5, maxLength: 20 }),
      async (xs) => {
        await new Promise((r) => setTimeout(r, 25));
        return xs.reduce((a, b) => a + b, 0) < 1_000_000;
      },
    );
    const limitMs = 500;
    const details = await fc.check(slowToShrink, fuzzParameters(1_000, limitMs, {}));
    expect(details.failed).toBe(true);
    expect(details.interrupted, 'stopped by the time limit, mid-shrink').toBe(true);
    const [counterexample] = details.counterexample ?? [[]];
    expect(counterexample.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1_000_000);
    await expect(fc.assert(slowToShrink, fuzzParameters(1_000, limitMs, {}))).rejects.toThrow(
      /seed: -?\d+, path: "[\d:]+".*Counterexample: \[\[\d/s,
    );
  });

  it('every instant sample is accepted or refused as its list claims', () => {
    const accepted = (placedFrom: string) => searchOrdersInput.safeParse({ placedFrom }).success;
    for (const s of EDGE_INSTANTS) expect(accepted(s), s).toBe(true);
    for (const s of [...INVALID_INSTANTS, ...OUT_OF_RANGE_INSTANTS])
      expect(accepted(s), s).toBe(false);
  });

  it('every BROKEN_JSON sample really is not JSON', () => {
    for (const text of BROKEN_JSON) expect(() => JSON.parse(text), text).toThrow();
  });
});

describe('positive controls', () => {
  const placeInput = () => ({
    customerId: 'c-fuzz',
    region: 'eu',
    currency: 'EUR',
    items: [{ productId: 'p-fuzz', quantity: 2, unitPriceMinor: 1250 }],
  });

  it('a valid place is 200 and writes exactly one event and one command', async () => {
    scope = 'control-place';
    const before = await ledger();
    const commandId = randomUUID();
    const res = await callJson(PLACE, { ...placeInput(), commandId }, 'writer');
    expect(res.reply.status, describeReply(res.reply, res.sent)).toBe(200);
    const data = (res.reply.body as { result: { data: { orderId: string; version: number } } })
      .result.data;
    expect(data).toMatchObject({ orderId: `o-${commandId}`, version: 1 });
    const after = await ledger();
    expect(after.events).toBeGreaterThan(before.events);
    expect(await eventsOfScope('control-place')).toBe(1);
    const { rows } = await app.connections.pool.query<{ n: number }>(
      'select count(*)::int as n from commands where command_id = $1',
      [commandId],
    );
    expect(rows[0]?.n).toBe(1);
  });

  it('a body of exactly 64 KiB is read (200); one byte more is 413 and writes nothing', async () => {
    const pad = (text: string, size: number) =>
      `{${' '.repeat(size - Buffer.byteLength(text))}${text.slice(1)}`;
    scope = 'control-limit';
    const exact = utf8(pad(toJsonText({ ...placeInput(), commandId: randomUUID() }), BODY_LIMIT));
    expect(exact.byteLength).toBe(BODY_LIMIT);
    const ok = await call(PLACE, exact, bearer('writer'));
    expect(ok.reply.status, describeReply(ok.reply, ok.sent)).toBe(200);
    expect(await eventsOfScope('control-limit')).toBe(1);

    await nothingPersisted('control-limit-over', async () => {
      const over = utf8(
        pad(toJsonText({ ...placeInput(), commandId: randomUUID() }), BODY_LIMIT + 1),
      );
      const refused = await call(PLACE, over, bearer('writer'));
      observe('POST body of 64 KiB + 1 byte (valid JSON)', refused.reply);
      expectError(refused, 413, ['PAYLOAD_TOO_LARGE']);
    });
  });

  it('BAD_REQUEST lists data.issues with a path for each field error', async () => {
    await nothingPersisted('control-issues', async () => {
      const res = await callJson(
        PLACE,
        {
          ...placeInput(),
          currency: 'euro',
          items: [{ productId: 'p 1', quantity: 0, unitPriceMinor: 1.5 }],
          surprise: true,
        },
        'writer',
      );
      expectRefusedInput(res, [
        'currency',
        'items.0.productId',
        'items.0.quantity',
        'items.0.unitPriceMinor',
        '(input)',
      ]);
      const paths = trpcError(res.reply).data.issues?.map((i) => i.path);
      expect(paths).toEqual(
        expect.arrayContaining([
          'currency',
          'items.0.productId',
          'items.0.quantity',
          'items.0.unitPriceMinor',
          '(input)',
        ]),
      );
    });
  });

  it('a refusal by the domain (unknown order) is 404 NOT_FOUND and writes nothing', async () => {
    await nothingPersisted('control-not-found', async () => {
      const res = await callJson(COMPLETE, { orderId: `missing-${randomUUID()}` }, 'writer');
      const error = expectError(res, 404, ['NOT_FOUND']);
      expect(error.data.reason).toBe('OrderNotFound');
    });
  });
});

describe('invalid input is 400 BAD_REQUEST with issue paths, and writes nothing', () => {
  it.each(WITH_INPUT.map((p) => [p.name, p] as const))(
    '%s: wrong types, out-of-range numbers, huge strings and arrays, unknown and missing fields',
    async (_name, p) => {
      await nothingPersisted(`invalid-${p.name}`, () =>
        fc.assert(
          fc.asyncProperty(
            validInput(p),
            mutationsArb(p),
            fc.constantFrom(...rolesAtLeast(p.role)),
            async (base, mutations, role) => {
              const { input, paths } = applyMutations(base, mutations);
              expectRefusedInput(await callJson(p, input, role), paths);
            },
          ),
          runs(60, PROPERTY_TIMEOUT),
        ),
      );
    },
    PROPERTY_TIMEOUT,
  );

  it('reports.topProducts: from after to is refused at "to"', async () => {
    await nothingPersisted('invalid-topProducts-range', () =>
      fc.assert(
        fc.asyncProperty(
          validMonth,
          validMonth,
          fc.stringMatching(CURRENCY),
          async (a, b, currency) => {
            fc.pre(a !== b);
            const [earlier = a, later = b] = [a, b].sort();
            const input = { from: later, to: earlier, currency };
            expectRefusedInput(await callJson(TOP_PRODUCTS, input, 'reader'), ['to']);
          },
        ),
        runs(20),
      ),
    );
  });

  it('whole inputs of the wrong shape: null, primitives, arrays, unknown-key objects, nothing', async () => {
    await nothingPersisted('garbage', () =>
      fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...WITH_INPUT).chain((p) => fc.tuple(fc.constant(p), garbageInput(p))),
          async ([p, input]) => {
            const res = await callJson(p, input, p.role);
            expectRefusedInput(res, []);
          },
        ),
        runs(80),
      ),
    );
  });

  it('admin.projections.status takes no input: whatever is sent is ignored (200)', async () => {
    await nothingPersisted('garbage-status', () =>
      fc.assert(
        fc.asyncProperty(garbageInput(SEARCH), async (input) => {
          const res = await callJson(STATUS, input, 'admin');
          expect(res.reply.status, describeReply(res.reply, res.sent)).toBe(200);
        }),
        runs(10),
      ),
    );
  });

  it('injection-looking strings and objects in search filters and ids are refused at their field', async () => {
    const targets: [ProcedureSpec, string][] = [
      [SEARCH, 'region'],
      [SEARCH, 'customerId'],
      [SEARCH, 'productId'],
      [SEARCH, 'currency'],
      [SEARCH, 'status'],
      [SEARCH, 'placedFrom'],
      [SEARCH, 'placedTo'],
      [GET, 'orderId'],
      [MONTHLY, 'region'],
      [MONTHLY, 'month'],
      [TOP_PRODUCTS, 'currency'],
      [REBUILD_PROGRESS, 'readModel'],
      [PLACE, 'customerId'],
      [PLACE, 'region'],
      [COMPLETE, 'orderId'],
      [CANCEL, 'orderId'],
      [REFUND, 'orderId'],
      [REBUILD, 'readModel'],
    ];
    const injected: fc.Arbitrary<Json> = fc.oneof(
      fc.constantFrom(...INJECTIONS).filter((s) => !ID_PATTERN.test(s)),
      fc.constantFrom(...INJECTION_OBJECTS),
    );
    await nothingPersisted('injection', () =>
      fc.assert(
        fc.asyncProperty(
          fc
            .constantFrom(...targets)
            .chain(([p, field]) =>
              fc.tuple(fc.constant(p), fc.constant(field), validInput(p), injected),
            ),
          async ([p, field, base, value]) => {
            const input = objectOf([...Object.entries(base), [field, value]]);
            const role = p.role;
            expectRefusedInput(await callJson(p, input, role), [field], `injection in ${field}`);
          },
        ),
        runs(60),
      ),
    );
  });

  it('orders.search: injection-looking cursors are refused as invalid cursors or read as positions', async () => {
    await nothingPersisted('injection-cursor', () =>
      fc.assert(
        fc.asyncProperty(fc.constantFrom(...INJECTIONS), async (cursor) => {
          const res = await callJson(SEARCH, { cursor }, 'reader');
          if (res.reply.status === 200) return;
          const error = expectError(res, 400, ['BAD_REQUEST']);
          expect(error.message).toMatch(/invalid cursor/);
        }),
        runs(30),
      ),
    );
  });
});

describe('malformed requests', () => {
  it('malformed JSON (truncated, trailing or leading garbage, invalid UTF-8, broken syntax) is a 400', async () => {
    await nothingPersisted('malformed', () =>
      fc.assert(
        fc.asyncProperty(
          fc
            .constantFrom(...WITH_INPUT)
            .chain((p) => fc.tuple(fc.constant(p), validInput(p), corruptionArb)),
          async ([p, base, corruption]) => {
            const { bytes, parses } = corrupt(p, base, corruption);
            const role = p.role;
            const res = await call(p, bytes, bearer(role));
            if (parses) {
              expectRefusedInput(res, [p.patternField], 'invalid UTF-8');
              return;
            }
            if (bytes.byteLength === 0) {
              // Nothing at all: the input is undefined, which no procedure with input accepts.
              expectRefusedInput(res, []);
              return;
            }
            observe(
              `malformed JSON (${p.type === 'query' ? 'GET ?input=' : 'POST body'})`,
              res.reply,
            );
            // Like any other invalid input: "Invalid input: …" and an issue at (input).
            expectRefusedInput(res, ['(input)'], 'malformed JSON');
            expect(trpcError(res.reply).data.issues?.[0]?.message).toMatch(/^must be valid JSON/);
          },
        ),
        runs(100),
      ),
    );
  });

  it('a POST without a JSON content type is 415 saying which header to send', async () => {
    await nothingPersisted('content-type', async () => {
      for (const contentType of [undefined, 'text/plain', 'application/x-www-form-urlencoded']) {
        const res = await fetch(`${app.url}/trpc/${PLACE.name}`, {
          method: 'POST',
          headers: {
            authorization: bearer('writer'),
            ...(contentType ? { 'content-type': contentType } : {}),
          },
          // Bytes: fetch adds no content type of its own to them.
          body: utf8(
            toJsonText({
              customerId: 'c-fuzz',
              region: 'eu',
              currency: 'EUR',
              items: [{ productId: 'p-fuzz', quantity: 1, unitPriceMinor: 1 }],
            }),
          ),
        });
        const body = (await res.json()) as {
          error: { message: string; data: { code: string; httpStatus: number } };
        };
        expect(res.status, contentType).toBe(415);
        expect(body.error.data).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', httpStatus: 415 });
        expect(body.error.message).toMatch(/^send the header Content-Type: application\/json \(/);
        // Every quote opened is closed (the library's own message left one open).
        expect(body.error.message.split('"').length % 2, body.error.message).toBe(1);
        if (contentType) expect(body.error.message).toContain(JSON.stringify(contentType));
      }
    });
  });

  it('a path outside the API is 404 in the shape of a tRPC error', async () => {
    const res = await fetch(`${app.url}/nowhere`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({
      error: {
        message: expect.stringMatching(/\/trpc\/<procedure>/),
        data: { code: 'NOT_FOUND', httpStatus: 404 },
      },
    });
  });

  it('admin.projections.status never parses its input: malformed JSON is ignored (200)', async () => {
    await nothingPersisted('malformed-status', async () => {
      for (const text of BROKEN_JSON.slice(0, 6)) {
        const res = await call(STATUS, utf8(text), bearer('admin'));
        observe('malformed JSON to admin.projections.status', res.reply);
        expect(res.reply.status, describeReply(res.reply, res.sent)).toBe(200);
      }
    });
  });

  it('bodies over 64 KiB are 413 PAYLOAD_TOO_LARGE, valid JSON included', async () => {
    await nothingPersisted('oversized', () =>
      fc.assert(
        fc.asyncProperty(
          fc
            .constantFrom(...MUTATIONS)
            .chain((p) =>
              fc.tuple(
                fc.constant(p),
                validInput(p),
                fc.integer({ min: BODY_LIMIT + 1, max: 1024 * 1024 }),
                fc.constantFrom('whitespace', 'huge-field', 'random-bytes'),
              ),
            ),
          async ([p, base, size, how]) => {
            const text = toJsonText(base);
            let bytes: Uint8Array;
            if (how === 'whitespace') {
              // Still valid JSON for a valid input: only the size refuses it.
              bytes = utf8(`{${' '.repeat(size - Buffer.byteLength(text))}${text.slice(1)}`);
            } else if (how === 'huge-field') {
              bytes = utf8(
                toJsonText(objectOf([...Object.entries(base), ['pad', 'x'.repeat(size)]])),
              );
            } else {
              bytes = new Uint8Array(size).map((_, i) => (i * 131 + size) % 256);
            }
            expect(bytes.byteLength).toBeGreaterThan(BODY_LIMIT);
            const res = await call(p, bytes, bearer(p.role));
            expectRefusedInput(res, []);
          },
        ),
        runs(30),
      ),
    );
  });

  it('GET inputs that make the URL longer than 16 KiB are 431', async () => {
    const queries = WITH_INPUT.filter((p) => p.type === 'query');
    await nothingPersisted('long-url', () =>
      fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...queries).chain((p) => fc.tuple(fc.constant(p), validInput(p))),
          hugeString(6_000, 100_000),
          async ([p, base], huge) => {
            const input = objectOf([...Object.entries(base), [p.patternField, huge]]);
            const res = await callJson(p, input, p.role);
            expectRefusedInput(res, [p.patternField]);
          },
        ),
        runs(15),
      ),
    );
  });
});

describe('authentication and roles come before the input', () => {
  const printable = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));
  const tokens: string[] = Object.values(TOKENS);
  const badAuthorization: fc.Arbitrary<string | undefined> = fc.oneof(
    fc.constant(undefined),
    fc.constantFrom('', 'Bearer', 'Bearer ', 'Basic', 'null', 'undefined', "Bearer ' OR 1=1 --"),
    fc
      .constantFrom(...tokens)
      .chain((t) =>
        fc.constantFrom(
          `Basic ${t}`,
          t,
          `Token ${t}`,
          `Bearer ${t}x`,
          `Bearer ${t.slice(0, -1)}`,
          `Bearer ${t.toUpperCase()}`,
          `Bearer ${t} ${t}`,
          `Bearer "${t}"`,
          `Bearer${t}`,
        ),
      ),
    fc
      .string({ unit: printable, minLength: 1, maxLength: 40 })
      .filter((s) => !tokens.includes(s))
      .map((s) => `Bearer ${s}`),
  );

  /** Any body: valid, garbage, malformed, and (for mutations) oversized. */
  function anyBody(p: Procedure): fc.Arbitrary<Uint8Array | undefined> {
    if (!isSpec(p))
      return garbageInput(SEARCH).map((v) => (v === undefined ? undefined : utf8(toJsonText(v))));
    const options: fc.Arbitrary<Uint8Array | undefined>[] = [
      validInput(p).map((v) => utf8(toJsonText(v))),
      garbageInput(p).map((v) => (v === undefined ? undefined : utf8(toJsonText(v)))),
      fc.tuple(validInput(p), corruptionArb).map(([v, c]) => corrupt(p, v, c).bytes),
    ];
    if (p.type === 'mutation') {
      options.push(
        fc
          .tuple(validInput(p), fc.integer({ min: BODY_LIMIT + 1, max: 256 * 1024 }))
          .map(([v, size]) => {
            const text = toJsonText(v);
            return utf8(`{${' '.repeat(size - Buffer.byteLength(text))}${text.slice(1)}`);
          }),
      );
    }
    return fc.oneof(...options);
  }

  it('the sweep covers every procedure the router serves: each has its least role and inputs here', async () => {
    const served = servedProcedures();
    expect(
      served.map((p) => p.name).sort(),
      'the sweep table lists procedures the router lacks',
    ).toEqual(ALL.map((p) => p.name).sort());
    // The least role of each gets past authorization (to the input check, or an answer).
    await nothingPersisted('least-role', async () => {
      for (const p of served) {
        const res = await callJson(p, isSpec(p) ? {} : undefined, p.role);
        expect(
          [401, 403],
          `${p.name} as ${p.role}: ${describeReply(res.reply, res.sent)}`,
        ).not.toContain(res.reply.status);
      }
    });
  });

  it(
    'no token, an unknown token or a malformed Authorization header: 401 UNAUTHORIZED, on every procedure',
    async () => {
      const procedures = servedProcedures();
      await nothingPersisted('unauthorized', async () => {
        for (const p of procedures) {
          await fc.assert(
            fc.asyncProperty(anyBody(p), badAuthorization, async (body, authorization) => {
              const res = await call(p, body, authorization);
              if (res.sent.bodyBytes > BODY_LIMIT)
                observe('POST body over 64 KiB without a valid token', res.reply);
              const error = expectError(res, 401, ['UNAUTHORIZED']);
              expect(error.message).toMatch(/token/);
            }),
            runs(8, PROPERTY_TIMEOUT, 1 / procedures.length),
          );
        }
      });
    },
    PROPERTY_TIMEOUT,
  );

  it(
    'a role below the procedure’s: 403 FORBIDDEN, whatever the input, on every procedure',
    async () => {
      const pairs: [Procedure, Role][] = servedProcedures().flatMap((p) =>
        ROLES.filter((r) => ROLES.indexOf(r) < ROLES.indexOf(p.role)).map(
          (r): [Procedure, Role] => [p, r],
        ),
      );
      await nothingPersisted('forbidden', async () => {
        for (const [p, role] of pairs) {
          await fc.assert(
            fc.asyncProperty(anyBody(p), async (body) => {
              const res = await call(p, body, bearer(role));
              if (res.sent.bodyBytes > BODY_LIMIT)
                observe('POST body over 64 KiB with too low a role', res.reply);
              const error = expectError(res, 403, ['FORBIDDEN']);
              expect(error.message).toMatch(new RegExp(`needs the ${p.role} role`));
            }),
            runs(8, PROPERTY_TIMEOUT, 1 / pairs.length),
          );
        }
      });
    },
    PROPERTY_TIMEOUT,
  );

  it('a writer sending `at` with otherwise valid input: 403 FORBIDDEN', async () => {
    await nothingPersisted('forbidden-at', () =>
      fc.assert(
        fc.asyncProperty(
          fc
            .constantFrom(PLACE, COMPLETE, REFUND)
            .chain((p) => fc.tuple(fc.constant(p), validInput(p))),
          pastInstant,
          async ([p, base], at) => {
            const input = objectOf([...Object.entries(base), ['at', at]]);
            const error = expectError(await callJson(p, input, 'writer'), 403, ['FORBIDDEN']);
            expect(error.message).toMatch(/`at`/);
          },
        ),
        runs(20),
      ),
    );
  });
});

describe('valid queries never fail on the server', () => {
  let seeded: { orderId: string };
  beforeAll(async () => {
    scope = 'seed';
    const admin = app.client('admin');
    const placed = await admin.orders.place.mutate({
      customerId: 'c-seed',
      region: 'eu',
      currency: 'EUR',
      items: [{ productId: 'p-seed', quantity: 1, unitPriceMinor: 100 }],
      at: '2025-10-15T08:00:00Z',
    });
    await admin.orders.complete.mutate({ orderId: placed.orderId, at: '2025-10-15T12:00:00Z' });
    seeded = placed;
    // The search read model must hold documents, or Elasticsearch skips parsing the query.
    await waitFor('the seeded order in the read model', async () => {
      const found = await admin.orders.get.query({ orderId: placed.orderId, minVersion: 2 });
      return found.stale ? undefined : found;
    });
  });

  const wellFormedCursor = fc
    .tuple(
      fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
      fc.oneof(
        validId,
        fc.constantFrom(...INJECTIONS),
        fc.string({ unit: 'binary', maxLength: 50 }),
      ),
    )
    .map((position) => Buffer.from(JSON.stringify(position)).toString('base64url'));

  it(
    'orders.search: any valid filter, dates across the whole accepted range, any cursor → 200 (400 for an undecodable cursor)',
    async () => {
      await nothingPersisted('valid-search', () =>
        fc.assert(
          fc.asyncProperty(
            validInput(SEARCH),
            fc.oneof(
              fc.constant(undefined),
              wellFormedCursor.map((c) => ({ c, wellFormed: true })),
              fc.string({ maxLength: 200 }).map((c) => ({ c, wellFormed: false })),
            ),
            fc.constantFrom(...ROLES),
            async (base, cursor, role) => {
              const entries = Object.entries(base).filter(([k]) => k !== 'cursor');
              const input = objectOf(
                cursor === undefined ? entries : [...entries, ['cursor', cursor.c]],
              );
              const res = await callJson(SEARCH, input, role);
              if (cursor && !cursor.wellFormed && res.reply.status === 400) {
                expect(expectError(res, 400, ['BAD_REQUEST']).message).toMatch(/invalid cursor/);
                return;
              }
              expect(res.reply.status, describeReply(res.reply, res.sent)).toBe(200);
            },
          ),
          runs(60, PROPERTY_TIMEOUT),
        ),
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    'reports.monthly: any valid month, currency and region → 200, or 404 for a month past retention',
    async () => {
      const cutoff = addMonths(
        monthIn(new Date(), config().REPORT_TIMEZONE),
        -config().READ_MODEL_RETENTION_MONTHS,
      );
      await nothingPersisted('valid-monthly', () =>
        fc.assert(
          fc.asyncProperty(validInput(MONTHLY), async (input) => {
            const res = await callJson(MONTHLY, input, 'reader');
            const expired = String((input as { month: string }).month) < cutoff;
            expect(res.reply.status, describeReply(res.reply, res.sent)).toBe(expired ? 404 : 200);
            if (expired) expect(res.reply.text).toMatch(/past the read models' retention/);
          }),
          runs(40, PROPERTY_TIMEOUT),
        ),
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    'reports.topProducts: any valid range → 200',
    async () => {
      await nothingPersisted('valid-topProducts', () =>
        fc.assert(
          fc.asyncProperty(validInput(TOP_PRODUCTS), async (input) => {
            const res = await callJson(TOP_PRODUCTS, input, 'reader');
            expect(res.reply.status, describeReply(res.reply, res.sent)).toBe(200);
          }),
          runs(40, PROPERTY_TIMEOUT),
        ),
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    'orders.get: any valid id → 200 or 404 NOT_FOUND',
    async () => {
      await nothingPersisted('valid-get', () =>
        fc.assert(
          fc.asyncProperty(fc.oneof(validId, fc.constant(seeded.orderId)), async (orderId) => {
            const res = await callJson(GET, { orderId }, 'reader');
            if (orderId === seeded.orderId) {
              expect(res.reply.status, describeReply(res.reply, res.sent)).toBe(200);
            } else {
              expectError(res, 404, ['NOT_FOUND']);
            }
          }),
          runs(40, PROPERTY_TIMEOUT),
        ),
      );
    },
    PROPERTY_TIMEOUT,
  );

  it('admin.projections.status → 200', async () => {
    await nothingPersisted('valid-status', async () => {
      const res = await callJson(STATUS, undefined, 'admin');
      expect(res.reply.status, describeReply(res.reply, res.sent)).toBe(200);
    });
  });
});

describe('regressions: the bugs this fuzz found stay fixed', () => {
  const orderInput = (at?: string) => ({
    customerId: 'c-regression',
    region: 'eu',
    currency: 'EUR',
    items: [{ productId: 'p-1', quantity: 1, unitPriceMinor: 1 }],
    ...(at === undefined ? {} : { at }),
  });

  it('topProducts up to 9999-12 answers (counting its months once looped until the heap ran out)', async () => {
    const res = await callJson(
      TOP_PRODUCTS,
      { from: '9999-01', to: '9999-12', currency: 'EUR' },
      'reader',
    );
    expect(res.reply.status, describeReply(res.reply, res.sent)).toBe(200);
  });

  it('rebuildProgress of a read model never rebuilt is 404 NOT_FOUND at once (was a 500 after 29 s)', async () => {
    await nothingPersisted('regression-rebuild-progress', async () => {
      // No test rebuilds the redis read model, and rebuild workflow ids carry this run's prefix.
      const started = Date.now();
      const res = await callJson(REBUILD_PROGRESS, { readModel: 'redis' }, 'admin');
      const error = expectError(res, 404, ['NOT_FOUND']);
      expect(error.message).toMatch(
        /no rebuild of redis.*start one with admin\.projections\.rebuild/,
      );
      expect(Date.now() - started, 'answered without waiting on Temporal').toBeLessThan(5_000);
    });
  });

  it('an instant outside years 0001–9999 in UTC (`at`, placedFrom, placedTo) is 400 at its field', async () => {
    const targets: [ProcedureSpec, string][] = [
      [PLACE, 'at'],
      [COMPLETE, 'at'],
      [REFUND, 'at'],
      [SEARCH, 'placedFrom'],
      [SEARCH, 'placedTo'],
    ];
    await nothingPersisted('regression-instant-range', () =>
      fc.assert(
        fc.asyncProperty(
          fc
            .constantFrom(...targets)
            .chain(([p, field]) => fc.tuple(fc.constant(p), fc.constant(field), validInput(p))),
          outOfRangeInstant,
          async ([p, field, base], instant) => {
            const input = objectOf([...Object.entries(base), [field, instant]]);
            expectRefusedInput(await callJson(p, input, 'admin'), [field], `${field} ${instant}`);
          },
        ),
        runs(40),
      ),
    );
  });

  it('instants at the edges of the range are stored, normalised to UTC', async () => {
    const admin = app.client('admin');
    scope = 'regression-instant-edges';
    const edges = [
      ['0000-12-31T23:59:59-00:01', '0001-01-01T00:00:59.000Z'],
      ['1970-01-01T05:30:00+05:30', '1970-01-01T00:00:00.000Z'],
    ];
    for (const [at, utc] of edges) {
      const { orderId } = await admin.orders.place.mutate(orderInput(at));
      const found = await admin.orders.get.query({ orderId, minVersion: 1 });
      expect(found.placedAt, at).toBe(utc);
    }
    // The far edge is in the future, which `at` may never be.
    await nothingPersisted('regression-instant-future', async () => {
      for (const at of ['9999-12-31T23:59:59.999999Z', '9999-12-31T23:59:59+00:01']) {
        expectRefusedInput(await callJson(PLACE, orderInput(at), 'admin'), ['at'], at);
      }
    });
  });

  it('a reason with U+0000, a lone surrogate or over 500 UTF-16 units is 400 at "reason"; 500 units are stored', async () => {
    const writer = app.client('writer');
    scope = 'regression-reason';
    const toCancel = await writer.orders.place.mutate(orderInput());
    const toRefund = await writer.orders.place.mutate(orderInput());
    await writer.orders.complete.mutate({ orderId: toRefund.orderId });
    const targets = [
      [CANCEL, toCancel.orderId],
      [REFUND, toRefund.orderId],
    ] as const;
    // Each once broke a real order: PostgreSQL refused the event (a 503 after retries), or
    // zod counted 251 emoji as 251 characters and the domain refused them as 502.
    const refused = ['x\u0000y', '\ud800', 'a\udc00b', '😀'.repeat(251), `${'😀'.repeat(250)}x`];
    await nothingPersisted('regression-reason-refused', async () => {
      for (const reason of refused) {
        for (const [p, orderId] of targets) {
          const res = await callJson(p, { orderId, reason }, 'writer');
          expectRefusedInput(res, ['reason'], `${p.name} with ${JSON.stringify(reason)}`);
        }
      }
    });
    for (const [p, orderId] of targets) {
      const res = await callJson(p, { orderId, reason: '😀'.repeat(250) }, 'writer');
      expect(res.reply.status, describeReply(res.reply, res.sent)).toBe(200);
    }
  });
});
