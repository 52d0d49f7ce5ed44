import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKENS } from './support/app';
import { type AppProcess, startAppProcess } from './support/app-process';
import { type RawCase, rawCase, requestText, TRAVERSALS } from './support/fuzz-raw';
import { builtFiles, digest, holdToContract, whatIsWrong } from './support/fuzz-raw-oracles';
import { PROPERTY_TIMEOUT, runs } from './support/fuzz-runs';
import { Contract } from './support/openapi-contract';
import { type RawExchange, sendRaw } from './support/raw-http';

// A fuzz of the whole HTTP surface over raw sockets (node:net): request lines, headers and
// framing written byte by byte, nothing normalised on the way. The API runs as `npm run
// api` does, in a process of its own, so "the process stays alive" is something to observe.
// Replay a failing run with FUZZ_SEED=<n> npm test -- test/api-fuzz-raw.test.ts.

const REQUEST_TIMEOUT_MS = 2_000;
let api: AppProcess;
let port: number;
let built: Set<string>;
let contract: Contract;

beforeAll(async () => {
  execFileSync('bash', ['scripts/build-web.sh'], { stdio: 'inherit' });
  built = builtFiles();
  api = await startAppProcess('api/main.ts', {
    API_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    API_MAX_BODY_BYTES: String(64 * 1024),
  });
  port = Number(new URL(api.url).port);
  // The pages the API serves itself (the API reference) are files too, to this oracle.
  for (const page of ['/docs', '/docs/start.js']) {
    built.add(digest(Buffer.from(await (await fetch(`${api.url}${page}`)).arrayBuffer())));
  }
  contract = await Contract.load(api.url);
});

afterAll(async () => {
  // A request may end the connection, never the process: it is still running, and exits 0.
  expect(api.child.exitCode).toBeNull();
  expect(await api.stop()).toBe(0);
  expect(api.output()).not.toMatch(/uncaught|"level":60/i);
});

const get = (path: string) => Buffer.from(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`, 'latin1');

/** The process answers a plain GET /livez on a fresh connection. */
async function expectAlive(after: string): Promise<void> {
  const { responses } = await sendRaw(port, get('/livez'));
  expect(responses[0]?.status, `GET /livez after ${after}\n${api.output().slice(-2_000)}`).toBe(
    200,
  );
}

function expectAcceptable(exchange: RawExchange, what: string): void {
  for (const response of exchange.responses) {
    const wrong = whatIsWrong(response, built);
    expect(
      wrong,
      `${what}\n→ ${response.status} ${response.body.toString('latin1').slice(0, 400)}`,
    ).toBeUndefined();
  }
}

describe('the HTTP surface, over raw sockets', () => {
  it('malformed percent-encodings answer 400 and leave the process alive', async () => {
    for (const path of ['/%', '/assets/%ff', '/%c3%28', '/trpc/%', '/trpc/orders.place%ff']) {
      const exchange = await sendRaw(port, get(path));
      expect(exchange.responses[0]?.status, path).toBe(400);
      expect(JSON.parse(exchange.responses[0]?.body.toString() ?? '')).toMatchObject({
        error: { data: { code: 'BAD_REQUEST', httpStatus: 400 } },
      });
      expectAcceptable(exchange, `GET ${path}`);
      await expectAlive(`GET ${path}`);
    }
  });

  it('a method tRPC does not serve is 405 with Allow: GET, POST, and an empty or missing Host is 400 with the error body (the fuzz found each)', async () => {
    for (const method of ['TRACE', 'OPTIONS', 'PUT', 'DELETE', 'PATCH', 'HEAD']) {
      const exchange = await sendRaw(
        port,
        Buffer.from(`${method} /trpc/session.whoami HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`),
        { bodiless: () => method === 'HEAD' },
      );
      const answer = exchange.responses[0];
      expect(answer?.status, method).toBe(405);
      expect(answer?.headers.allow, method).toBe('GET, POST');
      if (method !== 'HEAD') {
        expect(JSON.parse(answer?.body.toString() ?? '')).toMatchObject({
          error: { data: { code: 'METHOD_NOT_SUPPORTED', httpStatus: 405 } },
        });
      }
      await expectAlive(`${method} /trpc/session.whoami`);
    }
    // An empty Host (Node lets it pass) is a 400, not the 500 it was: the fuzz found it too.
    const emptyHost = await sendRaw(
      port,
      Buffer.from('GET /trpc/session.whoami HTTP/1.1\r\nHost:\r\n\r\n'),
    );
    expect(emptyHost.responses[0]?.status).toBe(400);
    // No Host at all: Node refused it with an empty body, which the document does not
    // describe (the contract check of the property below found it). Now the API's refusal.
    for (const target of ['/trpc/session.whoami', '/api/orders', '/livez']) {
      const noHost = await sendRaw(port, Buffer.from(`GET ${target} HTTP/1.1\r\n\r\n`));
      const answer = noHost.responses[0];
      expect(answer?.status, target).toBe(400);
      contract.checkError(answer?.status ?? 0, JSON.parse(answer?.body.toString() ?? ''), target);
      expect(answer?.body.toString(), target).toContain('send a Host header');
    }
  });

  it('REST routes: malformed, oversized and odd bodies, wrong methods, huge paths and queries are refused as documented, the process alive', async () => {
    const auth = `Authorization: Bearer ${TOKENS.admin}`;
    const json = 'Content-Type: application/json';
    const deep = `${'['.repeat(30_000)}${']'.repeat(30_000)}`;
    const cases: { method: string; target: string; headers: string[]; body?: string }[] = [
      ...['{', '{"customerId": ', '[1,2]', 'null', '"text"', '1e999', deep, '\u00ff\u00fe{}'].map(
        (body) => ({ method: 'POST', target: '/api/orders', headers: [auth, json], body }),
      ),
      // Over the 64 KiB body limit, with and without a token: 413 or 401, never read whole.
      {
        method: 'POST',
        target: '/api/orders',
        headers: [auth, json],
        body: `{"a":"${'x'.repeat(200_000)}"}`,
      },
      { method: 'POST', target: '/api/orders', headers: [json], body: 'x'.repeat(200_000) },
      {
        method: 'POST',
        target: '/api/orders',
        headers: [auth, 'Content-Type: text/plain'],
        body: '{}',
      },
      { method: 'POST', target: '/api/orders', headers: [auth], body: '{}' },
      // No worker runs beside this API: only calls refused before reaching a command.
      { method: 'POST', target: '/api/orders', headers: [auth, json], body: '' },
      {
        method: 'POST',
        target: '/api/orders/o-1/complete',
        headers: [auth, json],
        body: '{"at":"soon"}',
      },
      {
        method: 'POST',
        target: '/api/orders/%E2%9C%93/refund',
        headers: [auth, json],
        body: '{"reason":"r"}',
      },
      {
        method: 'POST',
        target: '/api/admin/reconcile',
        headers: [auth, json],
        body: '{"month":"9999-99"}',
      },
      { method: 'GET', target: `/api/orders/${'o'.repeat(12_000)}`, headers: [auth] },
      { method: 'GET', target: `/api/orders/${'o'.repeat(20_000)}`, headers: [auth] },
      { method: 'GET', target: '/api/orders/%ff', headers: [auth] },
      { method: 'GET', target: '/api/orders?pageSize=1&pageSize=2&status=nope', headers: [auth] },
      { method: 'GET', target: `/api/orders?cursor=${'c'.repeat(5_000)}`, headers: [auth] },
      { method: 'GET', target: '/api/reports/monthly?month=%00&currency=EUR', headers: [auth] },
      {
        method: 'GET',
        target: '/api/reports/monthly?month=2024-01&currency=EUR&minPosition=1e400',
        headers: [auth],
      },
      { method: 'GET', target: '/api/admin/projections/nope/rebuild', headers: [auth] },
      ...['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE'].flatMap((method) => [
        { method, target: '/api/orders', headers: [auth] },
        { method, target: '/api/orders/o-1/complete', headers: [auth, json], body: '{}' },
        { method, target: '/api/reports/monthly', headers: [auth] },
      ]),
    ];
    const seen: string[] = [];
    for (const c of cases) {
      const text = requestText(
        c.method,
        c.target,
        ['Host: 127.0.0.1', ...c.headers],
        c.body === undefined ? 'none' : 'length',
        c.body ?? '',
      );
      const exchange = await sendRaw(port, Buffer.from(text, 'latin1'));
      const what = `${c.method} ${c.target.slice(0, 80)} ${c.body?.slice(0, 40) ?? ''}`;
      const answer = exchange.responses[0];
      expect(answer?.status, what).toBeDefined();
      expectAcceptable(exchange, what);
      expect(answer?.status, what).toBeLessThan(500);
      if (answer) {
        const path = c.target.split('?')[0] ?? c.target;
        contract.checkRest(c.method, path, answer.status, JSON.parse(answer.body.toString()));
      }
      seen.push(`${answer?.status} ${what}`);
      if (answer?.status === 405)
        expect(answer.headers.allow, what).toMatch(/^(GET|POST|GET, POST)$/);
      await expectAlive(what);
    }
    console.info(`[fuzz-raw] REST answers\n  ${seen.join('\n  ')}`);
  });

  it('a path never leads out of web/dist, however it spells its way', async () => {
    for (const path of TRAVERSALS) {
      for (const verb of ['GET', 'HEAD']) {
        const exchange = await sendRaw(
          port,
          Buffer.from(`${verb} ${path} HTTP/1.1\r\nHost: x\r\n\r\n`, 'latin1'),
          { bodiless: () => verb === 'HEAD' },
        );
        const status = exchange.responses[0]?.status;
        expect([400, 404], `${verb} ${path} → ${status}`).toContain(status);
        expectAcceptable(exchange, `${verb} ${path}`);
      }
    }
    await expectAlive('the traversals');
  });

  it('the workspace is served with a strict Content-Security-Policy and no framing', async () => {
    const { responses } = await sendRaw(port, get('/'));
    const index = responses[0];
    expect(index?.status).toBe(200);
    const csp = index?.headers['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(index?.headers['x-frame-options']).toBe('DENY');
    expect(index?.headers['cache-control']).toBe('no-store');
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(index?.body.toString() ?? '')?.[1];
    expect(script).toBeDefined();
    const asset = (await sendRaw(port, get(script ?? ''))).responses[0];
    expect(asset?.status).toBe(200);
    expect(asset?.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('a client that stops sending mid-request is answered 408 and cut within the request timeout', async () => {
    const started = performance.now();
    // Read until the server closes (one answer is not the end of it).
    const slow = {
      expect: 3,
      idleMs: REQUEST_TIMEOUT_MS + 5_000,
      timeoutMs: REQUEST_TIMEOUT_MS + 5_000,
    };
    const exchange = await sendRaw(
      port,
      Buffer.from('POST /trpc/orders.place HTTP/1.1\r\nHo'),
      slow,
    );
    expect(exchange.closed).toBe(true);
    expect(exchange.responses[0]?.status).toBe(408);
    expect(performance.now() - started).toBeLessThan(REQUEST_TIMEOUT_MS + 4_000);
    const slowBody = await sendRaw(
      port,
      Buffer.from(
        requestText(
          'POST',
          '/trpc/orders.place',
          // A writer's token: the API waits for the body instead of refusing at once.
          ['Host: x', 'Content-Type: application/json', `Authorization: Bearer ${TOKENS.writer}`],
          'length-over',
          '{}',
        ),
        'latin1',
      ),
      slow,
    );
    expect(slowBody.closed).toBe(true);
    expect(slowBody.responses.map((r) => r.status)).toEqual([408]);
    expectAcceptable(slowBody, 'a body cut short');
    await expectAlive('slow clients');
  }, 30_000);

  it(
    'any request line, headers, framing and body: no 5xx but 503, no leak, never a file outside web/dist, every API answer as /openapi.json says, the process alive',
    async () => {
      const statuses = new Map<number, number>();
      let held = 0;
      await fc.assert(
        fc.asyncProperty(rawCase, async (c: RawCase) => {
          const bytes = Buffer.from(c.requests.map((r) => r.text).join(''), 'latin1');
          const exchange = await sendRaw(port, bytes, {
            pieces: c.pieces,
            gapMs: c.gapMs,
            expect: c.requests.length,
            // A request whose body never comes is answered 408 only after the timeout: the
            // case moves on, and the server stays alive meanwhile (checked below).
            idleMs: 400,
            bodiless: (i) => c.requests[i]?.method === 'HEAD',
          });
          const what = c.requests.map((r) => JSON.stringify(r.text.slice(0, 300))).join('\n');
          for (const r of exchange.responses)
            statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          expectAcceptable(exchange, what);
          held += holdToContract(contract, c, exchange);
          await expectAlive(what);
        }),
        runs(400, PROPERTY_TIMEOUT),
      );
      // The generators reach every kind of answer: served files, refusals, the API's own.
      console.info(
        '[fuzz-raw] statuses',
        Object.fromEntries(statuses),
        `${held} held to the document`,
      );
      // The contract check ran on a good share of the answers, not on a handful.
      expect(held).toBeGreaterThan(40);
      for (const status of [200, 400, 401, 404])
        expect(statuses.get(status), `${status}`).toBeGreaterThan(0);
    },
    PROPERTY_TIMEOUT,
  );
});
