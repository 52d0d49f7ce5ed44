import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { expect } from 'vitest';

// The API's contract as the tests hold it to: every answer a test sees is checked against
// /openapi.json, the schema of its operation (by method and path, or by tRPC procedure)
// and its status. An answer whose status the document does not list for that operation,
// or whose body does not fit the listed schema, fails the test that saw it.

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

const DOC_ID = 'openapi.json';
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

interface Operation {
  method: string;
  template: string;
  pattern: RegExp;
  procedure: string | undefined;
  statuses: Set<string>;
}

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, unknown>>;
  components?: Record<string, unknown>;
}

const pointer = (...parts: string[]) =>
  parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

export class Contract {
  private readonly ajv: Ajv2020;
  private readonly operations: Operation[] = [];
  private readonly compiled = new Map<string, ValidateFunction>();
  /** How many answers were checked: a test can show the check ran. */
  checked = 0;

  constructor(readonly document: OpenApiDocument) {
    // strict off: OpenAPI's own keywords (example, discriminator) sit beside JSON Schema's.
    this.ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
    this.ajv.addSchema(document as object, DOC_ID);
    for (const [template, item] of Object.entries(document.paths)) {
      for (const method of METHODS) {
        const op = item[method] as
          | { responses?: Record<string, unknown>; 'x-trpc-procedure'?: string }
          | undefined;
        if (!op) continue;
        const pattern = new RegExp(
          `^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`,
        );
        this.operations.push({
          method,
          template,
          pattern,
          procedure: op['x-trpc-procedure'],
          statuses: new Set(Object.keys(op.responses ?? {})),
        });
      }
    }
  }

  static async load(baseUrl: string): Promise<Contract> {
    const res = await fetch(`${baseUrl}/openapi.json`);
    expect(res.status, 'GET /openapi.json').toBe(200);
    return new Contract((await res.json()) as OpenApiDocument);
  }

  private validator(ref: string): ValidateFunction {
    let fn = this.compiled.get(ref);
    if (!fn) {
      fn = this.ajv.compile({ $ref: `${DOC_ID}#${ref}` });
      this.compiled.set(ref, fn);
    }
    return fn;
  }

  private check(op: Operation, status: number, body: unknown, what: string): void {
    const key = String(status);
    expect(
      op.statuses.has(key),
      `${what}: the document lists no ${status} for ${op.method.toUpperCase()} ${op.template} (it lists ${[...op.statuses].join(', ')})`,
    ).toBe(true);
    const ref = `${this.responseAt(op, key)}/${pointer('content', 'application/json', 'schema')}`;
    const validate = this.validator(ref);
    const ok = validate(body);
    expect(
      ok,
      `${what}: ${status} does not fit the document: ${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 600)}`,
    ).toBe(true);
    this.checked += 1;
  }

  /** Where an operation's response for `status` is: inline, or in components.responses. */
  private responseAt(op: Operation, status: string): string {
    const item = this.document.paths[op.template]?.[op.method] as {
      responses: Record<string, { $ref?: string }>;
    };
    const ref = item.responses[status]?.$ref;
    if (ref) return ref.slice(1);
    return `/${pointer('paths', op.template, op.method, 'responses', status)}`;
  }

  /** Every example the document gives (bodies, answers, schemas) that does not fit its schema. */
  examplesThatDoNotFit(): string[] {
    const wrong: string[] = [];
    const fits = (ref: string, example: unknown, what: string) => {
      const validate = this.validator(ref);
      if (!validate(example)) wrong.push(`${what}: ${this.ajv.errorsText(validate.errors)}`);
    };
    for (const op of this.operations) {
      const item = this.document.paths[op.template]?.[op.method] as {
        requestBody?: { content: Record<string, { example?: unknown }> };
        responses: Record<string, { content?: Record<string, { example?: unknown }> }>;
      };
      const at = (...parts: string[]) => `/${pointer('paths', op.template, op.method, ...parts)}`;
      const body = item.requestBody?.content['application/json'];
      if (body?.example !== undefined)
        fits(
          at('requestBody', 'content', 'application/json', 'schema'),
          body.example,
          `${op.template} body`,
        );
      for (const [status, response] of Object.entries(item.responses)) {
        const media = response.content?.['application/json'];
        if (media?.example !== undefined)
          fits(
            at('responses', status, 'content', 'application/json', 'schema'),
            media.example,
            `${op.template} ${status}`,
          );
      }
    }
    const schemas = (this.document.components?.schemas ?? {}) as Record<
      string,
      { examples?: unknown[] }
    >;
    for (const [id, schema] of Object.entries(schemas)) {
      for (const example of schema.examples ?? []) fits(`/components/schemas/${id}`, example, id);
    }
    const responses = (this.document.components?.responses ?? {}) as Record<
      string,
      { content?: Record<string, { example?: unknown }> }
    >;
    for (const [id, response] of Object.entries(responses)) {
      const example = response.content?.['application/json']?.example;
      if (example !== undefined)
        fits(
          `/${pointer('components', 'responses', id, 'content', 'application/json', 'schema')}`,
          example,
          id,
        );
    }
    return wrong;
  }

  /** An answer of a REST route: `path` without the query. */
  checkRest(method: string, path: string, status: number, body: unknown): void {
    const m = method.toLowerCase();
    const op = this.operations.find((o) => o.method === m && o.pattern.test(path));
    const what = `${method} ${path}`;
    if (!op) {
      // A route the document does not have: only a refusal in the error shape fits.
      this.checkError(status, body, what);
      return;
    }
    this.check(op, status, body, what);
  }

  /**
   * An answer of /trpc/<procedure>: the document's REST operation of the same procedure
   * says what its data and refusals look like; tRPC wraps data as `{ result: { data } }`.
   */
  checkTrpc(procedure: string, status: number, body: unknown): void {
    const op = this.operations.find((o) => o.procedure === procedure);
    const what = `/trpc/${procedure}`;
    if (!op) {
      this.checkError(status, body, what);
      return;
    }
    if (status === 200) {
      const data = (body as { result?: { data?: unknown } } | null)?.result;
      expect(data && 'data' in data, `${what}: 200 is { result: { data } }`).toBe(true);
      this.check(op, status, data?.data, what);
      return;
    }
    this.check(op, status, body, what);
  }

  /** A refusal outside any operation (unknown route): the document's error schema. */
  checkError(status: number, body: unknown, what: string): void {
    expect(
      status,
      `${what}: only refusals answer outside the document's operations`,
    ).toBeGreaterThanOrEqual(400);
    const validate = this.validator('/components/schemas/Error');
    expect(
      validate(body),
      `${what}: ${status} is not the documented error body: ${this.ajv.errorsText(validate.errors)}`,
    ).toBe(true);
    this.checked += 1;
  }
}

/**
 * A fetch that checks each answer of /trpc/<procedure> against the contract, for the typed
 * client of the tests (test/support/app.ts). What does not fit is kept in `violations`
 * (the file's app fails on stop) as well as thrown: a client error may be caught by a test.
 */
export function checkingFetch(contract: () => Contract | undefined, violations: string[]) {
  return async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const res = await fetch(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input), 'http://x');
    const checker = contract();
    if (!checker) return res;
    const check = checksOf(url, init?.method ?? (input instanceof Request ? input.method : 'GET'));
    if (!check) return res;
    const text = await res.clone().text();
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
    try {
      check(checker, res.status, body);
    } catch (err) {
      violations.push((err as Error).message);
      throw err;
    }
    return res;
  };
}

export type Check = (contract: Contract, status: number, body: unknown) => void;

/** How an answer from `url` is held to the document: a procedure, a batch, a REST route. */
export function checksOf(url: URL, method: string): Check | undefined {
  if (url.pathname.startsWith('/api/')) {
    return (c, status, body) => c.checkRest(method, url.pathname, status, body);
  }
  if (!url.pathname.startsWith('/trpc/')) return undefined;
  const procedures = decodeURIComponent(url.pathname.slice('/trpc/'.length)).split(',');
  if (!url.searchParams.has('batch')) {
    const [procedure] = procedures;
    return procedure ? (c, status, body) => c.checkTrpc(procedure, status, body) : undefined;
  }
  // A batch answers one array, each call's result or refusal in its place; a batch refused
  // as a whole (too many calls, malformed) answers one refusal.
  return (c, status, body) => {
    if (!Array.isArray(body)) {
      c.checkError(status, body, `/trpc batch of ${procedures.length}`);
      return;
    }
    body.forEach((answer: { error?: { data?: { httpStatus?: number } } }, i) => {
      const procedure = procedures[i] ?? '(missing)';
      c.checkTrpc(procedure, answer.error ? (answer.error.data?.httpStatus ?? 500) : 200, answer);
    });
  };
}
