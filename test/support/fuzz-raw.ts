import fc from 'fast-check';
import { TOKENS } from './app';
import { API_SEGMENTS, API_TARGETS, TRAVERSALS } from './fuzz-raw-paths';

export { TRAVERSALS };

// Raw HTTP requests for the socket-level fuzz (test/api-fuzz-raw.test.ts): request lines,
// headers and framing as a hostile or broken client writes them. What every answer must
// pass is in fuzz-raw-oracles.ts.

// ---------------------------------------------------------------------------------------
// Generators

const latin1 = (codes: number[]) => String.fromCharCode(...codes);

const segment = fc.oneof(
  fc.constantFrom(
    'assets',
    'trpc',
    'orders.place',
    'reports.monthly',
    'session.whoami',
    'index.html',
    'livez',
    'healthz',
    'readyz',
    'package.json',
    'etc',
    'passwd',
    'src',
    'main.ts',
    '..',
    '.',
    '%2e%2e',
    '%2E%2e',
    '.%2e',
    '%252e%252e',
    '%c0%ae%c0%ae',
    '..%2f',
    '..%5c',
    '..\\',
    '%',
    '%f',
    '%zz',
    '%ff',
    '%c3%28',
    '%ed%a0%80',
    '%00',
    '%0d%0a',
    '',
    '*',
    'orders.place,orders.get',
    ...API_SEGMENTS,
  ),
  fc.string({ minLength: 1, maxLength: 12 }),
  // Raw bytes a client should have percent-encoded: NUL, controls, high bytes.
  fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 6 }).map(latin1),
);

const query = fc.oneof(
  fc.constant(''),
  fc.constantFrom('?', '?batch=1', '?input=%', '?input=%ff', '?input={', '?batch=1&input=%7B%7D'),
  fc.string({ maxLength: 20 }).map((s) => `?input=${s}`),
  fc.constantFrom('?month=2024-01&currency=EUR', '?pageSize=%ff', '?pageSize=1&pageSize=2'),
  fc.string({ maxLength: 20 }).map((s) => `?month=${s}&currency=${s}`),
);

/** Paths a well-behaved client asks for (their answers must pass the oracles too). */
const plausible = fc.constantFrom(
  '/',
  '/index.html',
  '/livez',
  '/healthz',
  '/readyz?x=1',
  '/nowhere',
  '/assets/',
  '/assets/missing.js',
  '/trpc/session.whoami',
  '/trpc/orders.place',
  '/trpc/orders.search?input=%7B%7D',
  '/trpc/reports.monthly?input=%7B%22month%22%3A%222024-01%22%2C%22currency%22%3A%22EUR%22%7D',
  '/trpc/session.whoami,session.whoami?batch=1&input=%7B%7D',
  '/trpc/nope.nothing',
  ...API_TARGETS,
);

export const target: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: plausible },
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.array(segment, { minLength: 1, maxLength: 6 }), query)
      .map(([s, q]) => `/${s.join('/')}${q}`),
  },
  { weight: 2, arbitrary: fc.constantFrom(...TRAVERSALS) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '*',
      'http://127.0.0.1/livez',
      'http://evil.example/../package.json',
      '127.0.0.1:80',
      '',
      '/%',
      '/assets/%ff',
      '/assets/..%2f..%2fpackage.json',
    ),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 2_000, max: 40_000 }).map((n) => `/trpc/${'a'.repeat(n)}`),
  },
);

export const method = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('GET', 'POST', 'HEAD') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'PUT',
      'DELETE',
      'OPTIONS',
      'PATCH',
      'TRACE',
      'CONNECT',
      'PROPFIND',
      'QUERY',
      'get',
      'GETX',
      'G ET',
      '',
    ),
  },
);

export type Framing =
  | 'none'
  | 'length'
  | 'length-twice-same'
  | 'length-conflicting'
  | 'length-negative'
  | 'length-garbage'
  | 'length-over'
  | 'chunked'
  | 'chunked-broken'
  | 'chunked-and-length'
  | 'te-odd';

export const framing: fc.Arbitrary<Framing> = fc.constantFrom(
  'none',
  'none',
  'length',
  'length',
  'chunked',
  'length-twice-same',
  'length-conflicting',
  'length-negative',
  'length-garbage',
  'length-over',
  'chunked',
  'chunked-broken',
  'chunked-and-length',
  'te-odd',
);

/** Headers before the framing ones: as a client sends them, and as one should not. */
const otherHeaders = fc.array(
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc.constantFrom(
        'Content-Type: application/json',
        'Content-Type: text/plain',
        'Content-Type: %%%',
        'Content-Type: application/json; charset=latin-1',
        `Authorization: Bearer ${TOKENS.reader}`,
        'Authorization: Bearer %00',
        'Authorization: Basic Zm9vOmJhcg==',
        'X-Correlation-Id: ../../etc',
        'Connection: close',
        'Connection: keep-alive',
        'Expect: 100-continue',
        'Accept-Encoding: gzip, br',
        'Range: bytes=0-10,5-2',
        'Range: bytes=-5',
        'If-None-Match: *',
        'If-Modified-Since: garbage',
      ),
    },
    fc.constantFrom(
      'Host: 127.0.0.1',
      'Host:',
      ' Folded: header',
      'No colon here',
      ': empty name',
      'Bad Name: x',
    ),
    fc.integer({ min: 2_000, max: 20_000 }).map((n) => `X-Long: ${'x'.repeat(n)}`),
    fc
      .array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 })
      .map((b) => `X-Bytes: ${latin1(b)}`),
    fc.string({ maxLength: 30 }).map((v) => `X-Text: ${v}`),
  ),
  { maxLength: 4 },
);

export const headers = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.constantFrom(
          [],
          [`Authorization: Bearer ${TOKENS.admin}`],
          [`Authorization: Bearer ${TOKENS.writer}`],
        ),
        otherHeaders,
      )
      .map(([auth, rest]) => ['Host: 127.0.0.1', ...auth, ...rest]),
  },
  { weight: 1, arbitrary: otherHeaders },
);

export const body = fc.oneof(
  fc.constant(''),
  fc.constantFrom('{}', '{"month":"2024-01","currency":"EUR"}', '{', 'null', '[1,2]', '{"0":{}}'),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((b) => latin1([...b])),
);

/** One request as bytes (latin1: one char per byte). */
export function requestText(m: string, t: string, hs: string[], f: Framing, b: string): string {
  const lines = [`${m} ${t} HTTP/1.1`, ...hs];
  const n = Buffer.byteLength(b, 'latin1');
  let payload = b;
  switch (f) {
    case 'none':
      payload = '';
      break;
    case 'length':
      lines.push(`Content-Length: ${n}`);
      break;
    case 'length-twice-same':
      lines.push(`Content-Length: ${n}`, `Content-Length: ${n}`);
      break;
    case 'length-conflicting':
      lines.push(`Content-Length: ${n}`, `Content-Length: ${n + 3}`);
      break;
    case 'length-negative':
      lines.push('Content-Length: -1');
      break;
    case 'length-garbage':
      lines.push('Content-Length: 1e3');
      break;
    case 'length-over':
      // Declares more than it sends: the body is cut short by the client's end.
      lines.push(`Content-Length: ${n + 1000}`);
      break;
    case 'chunked':
      lines.push('Transfer-Encoding: chunked');
      payload = `${n > 0 ? `${n.toString(16)}\r\n${b}\r\n` : ''}0\r\n\r\n`;
      break;
    case 'chunked-broken':
      lines.push('Transfer-Encoding: chunked');
      payload = `zz\r\n${b}\r\n`;
      break;
    case 'chunked-and-length':
      lines.push('Transfer-Encoding: chunked', `Content-Length: ${n}`);
      payload = `${n.toString(16)}\r\n${b}\r\n0\r\n\r\n`;
      break;
    case 'te-odd':
      lines.push('Transfer-Encoding: chunked, identity');
      break;
  }
  return `${lines.join('\r\n')}\r\n\r\n${payload}`;
}

export interface RawRequest {
  method: string;
  /** The request target as written on the request line. */
  target: string;
  /**
   * Whether its bytes frame exactly one request (no body length in doubt), so the answers
   * after it still pair with the requests after it.
   */
  framed: boolean;
  text: string;
}

export interface RawCase {
  requests: RawRequest[];
  pieces: number;
  gapMs: number;
}

const FRAMED: readonly Framing[] = ['none', 'length', 'chunked'];

const hostile = fc.tuple(method, target, headers, framing, body).map(
  ([m, t, hs, f, b]): RawRequest => ({
    method: m,
    target: t,
    framed: FRAMED.includes(f),
    text: requestText(m, t, hs, f, b),
  }),
);

/** Valid HTTP for the parts it does not vary, so most of these reach the routes. */
const wellFormed = fc
  .tuple(
    fc.constantFrom('GET', 'HEAD', 'POST', 'OPTIONS', 'DELETE'),
    fc.oneof({ weight: 3, arbitrary: plausible }, target),
    fc.constantFrom(
      [],
      [`Authorization: Bearer ${TOKENS.reader}`],
      [`Authorization: Bearer ${TOKENS.writer}`, 'Content-Type: application/json'],
      [`Authorization: Bearer ${TOKENS.admin}`, 'Content-Type: application/json'],
      ['Content-Type: text/plain'],
    ),
    fc.constantFrom<Framing>('none', 'length', 'chunked'),
    body,
  )
  .map(
    ([m, t, hs, f, b]): RawRequest => ({
      method: m,
      target: t,
      framed: true,
      text: requestText(m, t, ['Host: 127.0.0.1', ...hs], m === 'POST' ? f : 'none', b),
    }),
  );

const oneRequest = fc.oneof(
  { weight: 3, arbitrary: wellFormed },
  { weight: 2, arbitrary: hostile },
);

/** One request, or several pipelined on one connection; written whole or in slow pieces. */
export const rawCase: fc.Arbitrary<RawCase> = fc.record({
  requests: fc.oneof(
    { weight: 4, arbitrary: oneRequest.map((r) => [r]) },
    { weight: 1, arbitrary: fc.array(oneRequest, { minLength: 2, maxLength: 5 }) },
  ),
  pieces: fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, fc.integer({ min: 2, max: 6 })),
  gapMs: fc.integer({ min: 0, max: 30 }),
});
