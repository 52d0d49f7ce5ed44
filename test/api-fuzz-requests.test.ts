import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TOKENS } from './support/app';
import { describeReply, hugeString, objectOf, toJsonText, trpcError, utf8 } from './support/fuzz';
import { BROKEN_JSON, corrupt, corruptionArb } from './support/fuzz-corruption';
import { pastInstant } from './support/fuzz-fields';
import { BODY_LIMIT, bearer, fuzzApp } from './support/fuzz-http';
import { garbageInput } from './support/fuzz-mutations';
import {
  ALL,
  COMPLETE,
  isSpec,
  MUTATIONS,
  PLACE,
  type Procedure,
  REFUND,
  ROLES,
  type Role,
  SEARCH,
  STATUS,
  servedProcedures,
  validInput,
  WITH_INPUT,
} from './support/fuzz-procedures';
import { PROPERTY_TIMEOUT, runs } from './support/fuzz-runs';

// Property-based fuzz of the API through real HTTP against the real stack: malformed
// requests (broken JSON, wrong content type, oversized), authentication and roles.
// The other api-fuzz-*.test.ts files fuzz the rest of the API the same way (fuzzApp).

const { app, call, callJson, observe, expectError, expectRefusedInput, nothingPersisted } =
  fuzzApp('api-fuzz-requests');

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
        const res = await fetch(`${app().url}/trpc/${PLACE.name}`, {
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
    const res = await fetch(`${app().url}/nowhere`);
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
    const served = servedProcedures(app().connections);
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
      const procedures = servedProcedures(app().connections);
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
      const pairs: [Procedure, Role][] = servedProcedures(app().connections).flatMap((p) =>
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
