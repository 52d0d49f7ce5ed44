import { randomUUID } from 'node:crypto';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppRouter } from '../api/router';
import { config } from '../config/env';
import { startTestApp, type TestApp, TOKENS } from './support/app';
import { Contract } from './support/openapi-contract';

// The REST face of the API (/api/…, described by /openapi.json) against the real stack:
// the document validates as OpenAPI 3.1 and names every procedure; the routes keep the
// tRPC route's auth, limits, idempotency and error contract; every answer here is checked
// against the document (Contract).

let app: TestApp;
let contract: Contract;
beforeAll(async () => {
  app = await startTestApp();
  contract = await Contract.load(app.url);
});
afterAll(() => app?.stop());

type Role = keyof typeof TOKENS;

interface Sent {
  status: number;
  headers: Headers;
  body: unknown;
}

/** One REST call, its answer checked against the document. */
async function rest(
  method: string,
  path: string,
  options: { role?: Role | null; body?: unknown; raw?: string | Uint8Array; type?: string } = {},
): Promise<Sent> {
  const role = options.role === undefined ? 'admin' : options.role;
  const headers: Record<string, string> = {};
  if (role) headers.authorization = `Bearer ${TOKENS[role]}`;
  let body: string | Uint8Array | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] = options.type ?? 'application/json';
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body } : {}),
  });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  expect(res.status, `${method} ${path} → ${text.slice(0, 300)}`).toBeLessThan(500);
  contract.checkRest(method, path.split('?')[0] ?? path, res.status, parsed);
  return { status: res.status, headers: res.headers, body: parsed };
}

const errorOf = (sent: Sent) =>
  (sent.body as { error: { message: string; data: { code: string; httpStatus: number } } }).error;

const placeBody = (at?: string) => ({
  customerId: 'c-rest',
  region: 'eu',
  currency: 'EUR',
  items: [
    { productId: 'p-rest-1', quantity: 2, unitPriceMinor: 1999 },
    { productId: 'p-rest-2', quantity: 1, unitPriceMinor: 500 },
  ],
  ...(at ? { at } : {}),
});

describe('/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(
      structuredClone(contract.document) as unknown as Parameters<Validator['validate']>[0],
    );
    expect(result.errors ?? [], JSON.stringify(result.errors ?? []).slice(0, 2_000)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(contract.document.openapi).toMatch(/^3\.1\./);
  });

  it('names every procedure of the router as an operation with an output schema, a role and the error responses', () => {
    const router = createAppRouter({
      ...app.connections,
      esPrefix: config().ES_INDEX_PREFIX,
      redisPrefix: config().REDIS_KEY_PREFIX,
      reportTimeZone: config().REPORT_TIMEZONE,
    });
    const procedures = Object.keys(router._def.procedures).sort();
    expect(procedures.length).toBeGreaterThanOrEqual(20);
    const operations = Object.values(contract.document.paths).flatMap((item) =>
      Object.values(item as Record<string, Record<string, unknown>>),
    );
    const byProcedure = new Map(operations.map((op) => [op['x-trpc-procedure'], op]));
    for (const name of procedures) {
      const op = byProcedure.get(name) as
        | {
            'x-required-role': string;
            security: unknown[];
            description: string;
            responses: Record<string, { content?: Record<string, { schema?: object }> }>;
          }
        | undefined;
      expect(op, `${name} has an operation`).toBeDefined();
      if (!op) continue;
      expect(['reader', 'writer', 'admin'], name).toContain(op['x-required-role']);
      expect(op.security, name).toEqual([{ bearer: [] }]);
      expect(op.description, name).toContain(`Role: ${op['x-required-role']}`);
      const ok = op.responses['200']?.content?.['application/json']?.schema;
      expect(ok && Object.keys(ok).length > 0, `${name}: a 200 schema`).toBe(true);
      for (const status of ['400', '401', '403', '405', '408', '413', '415', '429', '500']) {
        expect(Object.keys(op.responses), `${name} lists ${status}`).toContain(status);
      }
    }
  });
});

describe('REST routes', () => {
  it('place, complete and read an order, then its month’s report', async () => {
    const at = '2019-03-10T10:00:00Z';
    const placed = await rest('POST', '/api/orders', { body: placeBody(at) });
    expect(placed.status).toBe(200);
    const reply = placed.body as { orderId: string; version: number; commandId: string };
    expect(placed.headers.get('x-command-id')).toBe(reply.commandId);
    expect(reply.version).toBe(1);

    const completed = await rest('POST', `/api/orders/${reply.orderId}/complete`, {
      body: { at: '2019-03-11T10:00:00Z' },
    });
    expect(completed.status).toBe(200);
    const done = completed.body as { version: number; position: number };
    expect(done.version).toBe(2);

    const order = await rest('GET', `/api/orders/${reply.orderId}?minVersion=${done.version}`, {
      role: 'reader',
    });
    expect(order.status).toBe(200);
    expect(order.body).toMatchObject({
      orderId: reply.orderId,
      status: 'completed',
      totalMinor: 2 * 1999 + 500,
      stale: false,
    });

    const report = await rest(
      'GET',
      `/api/reports/monthly?month=2019-03&currency=EUR&minPosition=${done.position}`,
      { role: 'reader' },
    );
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({
      month: '2019-03',
      currency: 'EUR',
      stale: false,
      totals: { orderCount: 1, totalQuantity: 3, totalSalesMinor: 2 * 1999 + 500 },
    });

    const history = await rest('GET', `/api/orders/${reply.orderId}/history`, { role: 'reader' });
    expect((history.body as { events: { type: string }[] }).events.map((e) => e.type)).toEqual([
      'OrderPlaced',
      'OrderCompleted',
    ]);
  });

  it('a repeated commandId returns the first reply, and x-command-id names a generated one', async () => {
    const commandId = randomUUID();
    const first = await rest('POST', '/api/orders', {
      role: 'writer',
      body: { ...placeBody(), commandId },
    });
    const again = await rest('POST', '/api/orders', {
      role: 'writer',
      body: { ...placeBody(), commandId },
    });
    expect(first.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('x-command-id')).toBe(commandId);
  });

  it('answers every read with its role and refuses without one (401) or with too little (403)', async () => {
    expect((await rest('GET', '/api/session', { role: 'reader' })).body).toEqual({
      role: 'reader',
    });
    const anonymous = await rest('GET', '/api/session', { role: null });
    expect(anonymous.status).toBe(401);
    expect(errorOf(anonymous).data).toMatchObject({ code: 'UNAUTHORIZED', httpStatus: 401 });
    const reader = await rest('POST', '/api/orders', { role: 'reader', body: placeBody() });
    expect(reader.status).toBe(403);
    const writer = await rest('GET', '/api/admin/projections', { role: 'writer' });
    expect(writer.status).toBe(403);
    expect((await rest('GET', '/api/admin/projections')).status).toBe(200);
  });

  it('refuses bad input with 400 naming the field, and coerces numbers in the query', async () => {
    const missing = await rest('POST', '/api/orders', { role: 'writer', body: { region: 'eu' } });
    expect(missing.status).toBe(400);
    expect(errorOf(missing).message).toMatch(/^Invalid input: .*customerId/);
    const month = await rest('GET', '/api/reports/monthly?month=2019-13&currency=EUR', {
      role: 'reader',
    });
    expect(month.status).toBe(400);
    expect(errorOf(month).message).toMatch(/month: must be a month/);
    const notNumber = await rest('GET', '/api/orders?pageSize=ten', { role: 'reader' });
    expect(notNumber.status).toBe(400);
    expect(errorOf(notNumber).message).toMatch(/pageSize/);
    const unknownField = await rest('GET', '/api/orders?colour=red', { role: 'reader' });
    expect(unknownField.status).toBe(400);
    const page = await rest('GET', '/api/orders?pageSize=5&region=eu', { role: 'reader' });
    expect(page.status).toBe(200);
    const unknownOrder = await rest('GET', '/api/orders/nope-404', { role: 'reader' });
    expect(unknownOrder.status).toBe(404);
  });

  it('malformed JSON is 400, another media type 415, a body over the limit 413', async () => {
    const broken = await rest('POST', '/api/orders', { role: 'writer', raw: '{"customerId": ' });
    expect(broken.status).toBe(400);
    expect(errorOf(broken).message).toMatch(/must be valid JSON/);
    const notObject = await rest('POST', '/api/orders', { role: 'writer', raw: '[1,2]' });
    expect(notObject.status).toBe(400);
    const text = await rest('POST', '/api/orders', {
      role: 'writer',
      raw: JSON.stringify(placeBody()),
      type: 'text/plain',
    });
    expect(text.status).toBe(415);
    expect(errorOf(text).message).toMatch(/Content-Type: application\/json/);
    const huge = await rest('POST', '/api/orders', {
      role: 'writer',
      raw: JSON.stringify({ ...placeBody(), customerId: 'x'.repeat(70 * 1024) }),
    });
    expect(huge.status).toBe(413);
    expect(errorOf(huge).message).toMatch(/API_MAX_BODY_BYTES/);
  });

  it('a method a route does not serve is 405 with Allow, an unknown route 404', async () => {
    const wrong = await rest('DELETE', '/api/orders');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, POST');
    const put = await rest('PUT', '/api/reports/monthly');
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET');
    const unknown = await rest('GET', '/api/nothing-here');
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown).data.code).toBe('NOT_FOUND');
  });

  it('checked every answer above against the document', () => {
    expect(contract.checked).toBeGreaterThanOrEqual(25);
  });
});
