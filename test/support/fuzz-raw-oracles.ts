import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SWAGGER_UI_DIR, SWAGGER_UI_FILES } from '../../api/api-docs';
import { TOKENS } from './app';
import type { RawCase, RawRequest } from './fuzz-raw';
import { type Check, type Contract, checksOf } from './openapi-contract';
import type { RawExchange, RawResponse } from './raw-http';

// What every answer of the socket-level fuzz (test/api-fuzz-raw.test.ts) must pass: no
// leak, no 5xx but 503, no file outside web/dist, and the API's answers as /openapi.json says.

const root = fileURLToPath(new URL('../..', import.meta.url));
export const WEB_DIST = path.join(root, 'web/dist');

/**
 * The bytes of each file under web/dist and of the API reference's files, by digest: a 200
 * for a file must be one of them (the test adds the pages the API itself serves, /docs).
 */
export function builtFiles(): Set<string> {
  const digests = new Set<string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) walk(file);
      else digests.add(digest(readFileSync(file)));
    }
  };
  walk(WEB_DIST);
  for (const file of SWAGGER_UI_FILES)
    digests.add(digest(readFileSync(path.join(SWAGGER_UI_DIR, file))));
  return digests;
}

export const digest = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Text no answer may carry: a stack frame, a path of this machine, a token, SQL. */
const LEAKS: [string, RegExp][] = [
  ['a stack frame', /\n\s+at [^\n]+:\d+:\d+|\bat (?:async )?[\w.<>]+ \(/],
  [
    'a file path of this machine',
    new RegExp(`${escapeRegExp(root)}|node_modules/|/etc/passwd|\\.ts:\\d+`),
  ],
  ['a token', new RegExp(Object.values(TOKENS).map(escapeRegExp).join('|'))],
  ['SQL', /\b(?:select\s.+\sfrom|insert\s+into|update\s+\w+\s+set|delete\s+from)\b/i],
  ['a file outside web/dist', /"name":\s*"order-reporting"|root:x:0:0|"devDependencies"/],
];

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Why `response` is not an acceptable answer to anything, or undefined when it is. */
export function whatIsWrong(response: RawResponse, built: Set<string>): string | undefined {
  if (!Number.isInteger(response.status)) return 'no status line';
  if (response.status >= 500 && response.status !== 503) return `status ${response.status}`;
  const text = response.body.toString('latin1');
  for (const [what, pattern] of LEAKS) {
    if (pattern.test(text)) return `the body shows ${what}`;
  }
  const type = response.headers['content-type'] ?? '';
  if (response.status === 200 && response.body.length > 0 && !type.startsWith('application/json')) {
    if (!built.has(digest(response.body))) return 'a 200 whose body is no file of web/dist';
  }
  return undefined;
}

/**
 * How the answer to `request` is held to /openapi.json: a call of /trpc/ or /api/ whose
 * target the server sees as written (URL parsing changes nothing in it). Anything else —
 * files, probes, targets no client would send — is left to `whatIsWrong`.
 */
function contractCheckOf(request: RawRequest): Check | undefined {
  if (!/^\/(trpc|api)\//.test(request.target)) return undefined;
  let url: URL;
  try {
    url = new URL(request.target, 'http://127.0.0.1');
  } catch {
    return undefined;
  }
  if (`${url.pathname}${url.search}` !== request.target) return undefined;
  try {
    return checksOf(url, request.method);
  } catch {
    // A procedure name that does not decode names no operation: only a refusal fits.
    return (c, status, body) => c.checkError(status, body, request.target);
  }
}

const jsonOrNull = (bytes: Buffer): unknown => {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return null;
  }
};

/**
 * Holds each answer of the API to the document. Answers pair with requests in order while
 * every request before is framed beyond doubt; a HEAD answer has no body to hold.
 */
export function holdToContract(contract: Contract, c: RawCase, exchange: RawExchange): number {
  let held = 0;
  for (const [i, answer] of exchange.responses.entries()) {
    const request = c.requests[i];
    if (!request) break;
    const check = request.method === 'HEAD' ? undefined : contractCheckOf(request);
    if (check) {
      check(contract, answer.status, jsonOrNull(answer.body));
      held += 1;
    }
    if (!request.framed) break;
  }
  return held;
}
