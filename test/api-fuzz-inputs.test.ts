import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { searchOrdersInput } from '../api/query-inputs';
import { ID_PATTERN } from '../domain';
import {
  describeReply,
  fuzzParameters,
  INJECTION_OBJECTS,
  INJECTIONS,
  type Json,
  objectOf,
  toJsonText,
  trpcError,
  utf8,
} from './support/fuzz';
import { BROKEN_JSON } from './support/fuzz-corruption';
import {
  CURRENCY,
  EDGE_INSTANTS,
  INVALID_INSTANTS,
  OUT_OF_RANGE_INSTANTS,
  validMonth,
} from './support/fuzz-fields';
import { BODY_LIMIT, bearer, fuzzApp } from './support/fuzz-http';
import { applyMutations, garbageInput, mutationsArb } from './support/fuzz-mutations';
import {
  CANCEL,
  COMPLETE,
  GET,
  MONTHLY,
  PLACE,
  type ProcedureSpec,
  REBUILD,
  REBUILD_PROGRESS,
  REFUND,
  rolesAtLeast,
  SEARCH,
  STATUS,
  TOP_PRODUCTS,
  validInput,
  WITH_INPUT,
} from './support/fuzz-procedures';
import { PROPERTY_TIMEOUT, runs } from './support/fuzz-runs';

// Property-based fuzz of every API input through real HTTP against the real stack: the
// oracles checked without HTTP, positive controls, and invalid input.
// The other api-fuzz-*.test.ts files fuzz the rest of the API the same way (fuzzApp).

const {
  app,
  call,
  callJson,
  observe,
  expectError,
  expectRefusedInput,
  ledger,
  eventsOfScope,
  nothingPersisted,
  useScope,
} = fuzzApp('api-fuzz-inputs');

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
    useScope('control-place');
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
    const { rows } = await app().connections.pool.query<{ n: number }>(
      'select count(*)::int as n from commands where command_id = $1',
      [commandId],
    );
    expect(rows[0]?.n).toBe(1);
  });

  it('a body of exactly 64 KiB is read (200); one byte more is 413 and writes nothing', async () => {
    const pad = (text: string, size: number) =>
      `{${' '.repeat(size - Buffer.byteLength(text))}${text.slice(1)}`;
    useScope('control-limit');
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
