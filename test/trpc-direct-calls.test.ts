import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, TOKENS } from './support/app';

// The tRPC route calls a single JSON mutation of a known length directly (api/trpc-route.ts);
// any other request goes through tRPC's own handler. The same request sent both ways (as
// it is, then with a query string, which sends it to tRPC's handler) must get the same
// answer: status, body and headers. Which way answered shows in the framing: the direct
// answer has a Content-Length, tRPC's handler streams its answer chunked.

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
});

afterAll(async () => {
  await app?.stop();
});

interface Answer {
  status: number;
  body: unknown;
  headers: Record<string, string | null>;
  framing: 'length' | 'chunked';
}

const COMPARED_HEADERS = ['content-type', 'vary', 'x-command-id', 'retry-after'];

async function send(
  procedure: string,
  body: string,
  token: string | undefined,
  via: 'direct' | 'handler',
): Promise<Answer> {
  // tRPC's handler ignores a POST's query string; the route calls nothing with one directly.
  const res = await fetch(
    `${app.url}/trpc/${procedure}${via === 'handler' ? '?via=handler' : ''}`,
    {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body,
      signal: AbortSignal.timeout(30_000),
    },
  );
  const text = await res.text();
  return {
    status: res.status,
    body: text === '' ? undefined : JSON.parse(text),
    headers: Object.fromEntries(COMPARED_HEADERS.map((h) => [h, res.headers.get(h)])),
    framing: res.headers.get('content-length') !== null ? 'length' : 'chunked',
  };
}

const place = (
  commandId: string,
  items: unknown[] = [{ productId: 'p-1', quantity: 1, unitPriceMinor: 250 }],
) => JSON.stringify({ commandId, customerId: 'c-direct', region: 'eu', currency: 'EUR', items });

describe('a single JSON mutation on /trpc, called directly', () => {
  it.each([
    [
      'a command that succeeds (its resend answers the same)',
      'orders.place',
      () => place(randomUUID()),
      TOKENS.writer,
      200,
    ],
    ['malformed JSON', 'orders.place', () => '{"customerId": ', TOKENS.writer, 400],
    ['an empty body', 'orders.place', () => '', TOKENS.writer, 400],
    ['input the schema refuses', 'orders.place', () => place(randomUUID(), []), TOKENS.writer, 400],
    ['no token', 'orders.place', () => place(randomUUID()), undefined, 401],
    ['an unknown token', 'orders.place', () => place(randomUUID()), 'not-a-token-0123456789', 401],
    // The role is checked before the body is read: a reader's malformed body is a 403.
    ['a reader, with a malformed body', 'orders.place', () => '{', TOKENS.reader, 403],
    [
      'a command the domain refuses',
      'orders.complete',
      () => JSON.stringify({ commandId: randomUUID(), orderId: `o-${randomUUID()}` }),
      TOKENS.writer,
      404,
    ],
  ])(
    '%s: the same answer as tRPC’s handler gives',
    async (_what, procedure, body, token, status) => {
      const sent = body();
      const direct = await send(procedure, sent, token, 'direct');
      const handler = await send(procedure, sent, token, 'handler');
      expect(direct.framing, 'answered directly').toBe('length');
      expect(handler.framing, 'answered by tRPC’s handler').toBe('chunked');
      expect(direct.status).toBe(status);
      expect({ ...direct, framing: undefined }).toEqual({ ...handler, framing: undefined });
    },
  );

  it('an admin action: the same answer, and the audit trail records the same input both ways', async () => {
    const orderId = `o-${randomUUID()}`;
    const sent = JSON.stringify({ readModel: 'elasticsearch', orderId });
    const direct = await send('admin.parked.retry', sent, TOKENS.admin, 'direct');
    const handler = await send('admin.parked.retry', sent, TOKENS.admin, 'handler');
    expect([direct.framing, handler.framing]).toEqual(['length', 'chunked']);
    expect(direct.status).toBe(404);
    expect({ ...direct, framing: undefined }).toEqual({ ...handler, framing: undefined });
    const { entries } = await app
      .client('admin')
      .audit.list.query({ action: 'admin.parked.retry' });
    const recorded = entries
      .filter((e) => e.target === `elasticsearch/${orderId}`)
      .map((e) => [e.details, e.outcome]);
    expect(recorded).toEqual([
      [{ readModel: 'elasticsearch', orderId }, 'NOT_FOUND'],
      [{ readModel: 'elasticsearch', orderId }, 'NOT_FOUND'],
    ]);
  });

  it('a batch, a query and a procedure that does not exist still go through tRPC’s handler', async () => {
    const batch = await fetch(`${app.url}/trpc/orders.place?batch=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKENS.writer}` },
      body: JSON.stringify({ 0: JSON.parse(place(randomUUID(), [])) }),
    });
    expect(batch.status).toBe(400);
    expect(Array.isArray(await batch.json())).toBe(true);
    const unknown = await send('orders.nope', '{}', TOKENS.writer, 'direct');
    expect(unknown.status).toBe(404);
    expect(unknown.framing).toBe('chunked');
  });
});
