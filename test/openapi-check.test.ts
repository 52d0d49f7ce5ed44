import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openApiDocument, undocumentedProcedures } from '../api/openapi';
import { bodyInput, queryInput } from '../api/rest-input';
import { createAppRouter } from '../api/router';
import { readerProcedure, router, writerProcedure } from '../api/trpc';
import { Contract, type OpenApiDocument } from './support/openapi-contract';

// The document's completeness check and the REST routes' input rules, given routers and
// requests built here. Pure: no servers (the app router's dependencies are never called
// while its document is built).

const described = readerProcedure.meta({
  openapi: { method: 'GET', path: '/api/things', summary: 'things' },
});

describe('the completeness check', () => {
  it('given a procedure without an output schema, when the document is built, then it is refused by name', () => {
    const r = router({
      things: router({
        list: described.output(z.object({ n: z.number() })).query(() => ({ n: 1 })),
        count: readerProcedure
          .meta({ openapi: { method: 'GET', path: '/api/count' } })
          .query(() => 1),
      }),
    });
    expect(undocumentedProcedures(r)).toEqual(['things.count has no output schema (.output())']);
    expect(() => openApiDocument(r)).toThrow(/things\.count has no output schema/);
  });

  it('given a procedure without a REST route, then it is refused by name', () => {
    const r = router({
      place: writerProcedure.output(z.object({ ok: z.boolean() })).mutation(() => ({ ok: true })),
    });
    expect(undocumentedProcedures(r)).toEqual(['place has no REST route (meta.openapi)']);
  });

  it('given the app’s router, then every procedure is documented, the document builds, and its examples fit', () => {
    const app = createAppRouter({
      esPrefix: 't-',
      redisPrefix: 't:',
      reportTimeZone: 'UTC',
    } as unknown as Parameters<typeof createAppRouter>[0]);
    expect(undocumentedProcedures(app)).toEqual([]);
    const doc = openApiDocument(app);
    expect(doc.openapi).toBe('3.1.0');
    const names = Object.values(doc.paths ?? {}).flatMap((item) =>
      Object.values(item).map((op) => (op as Record<string, unknown>)['x-trpc-procedure']),
    );
    expect(names.sort()).toEqual(Object.keys(app._def.procedures).sort());
    // Every example it gives (bodies, answers, refusals, schemas) fits its own schema.
    expect(new Contract(doc as unknown as OpenApiDocument).examplesThatDoNotFit()).toEqual([]);
  });
});

describe('REST input', () => {
  const schema = z.strictObject({
    month: z.string(),
    pageSize: z.number().int().default(20),
    minPosition: z.number().optional(),
    force: z.boolean().optional(),
  });

  it('given query text, numbers and booleans are converted only when spelled exactly', () => {
    expect(
      queryInput({ month: '2025-10', pageSize: '5', minPosition: '1e3', force: 'true' }, schema),
    ).toEqual({ month: '2025-10', pageSize: 5, minPosition: 1000, force: true });
    expect(queryInput({ pageSize: 'ten', force: 'yes', month: '12' }, schema)).toEqual({
      pageSize: 'ten',
      force: 'yes',
      month: '12',
    });
    // Left for the schema to refuse: a repeated key, a key it does not know, an empty number.
    expect(queryInput({ pageSize: ['1', '2'], colour: 'red', minPosition: '' }, schema)).toEqual({
      pageSize: ['1', '2'],
      colour: 'red',
      minPosition: '',
    });
  });

  it('given a body, the path’s parameters win over its fields; no body is {}; a non-object is handed on', () => {
    expect(bodyInput({ orderId: 'b', at: 'x' }, { orderId: 'a' })).toEqual({
      orderId: 'a',
      at: 'x',
    });
    expect(bodyInput(undefined, { orderId: 'a' })).toEqual({ orderId: 'a' });
    expect(bodyInput([1], { orderId: 'a' })).toEqual([1]);
    expect(bodyInput(null, {})).toBeNull();
    expect(schema.safeParse(queryInput({ month: 'm', pageSize: '2.5' }, schema)).success).toBe(
      false,
    );
  });
});
