import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, TOKENS } from './support/app';

// The curl examples of the README and the API guide paste as written: each shell block that
// calls the API runs in bash against a real API (its tokens and address filled in where a
// reader fills in theirs), and every answer it prints is a result, never an error.

const run = promisify(execFile);
const DOCS = ['README.md', 'docs/api.md'];
const API = 'http://127.0.0.1:3000';

function apiExamples(file: string): string[] {
  const blocks = [...readFileSync(file, 'utf8').matchAll(/```sh\n([\s\S]*?)```/g)].map(
    (m) => m[1] ?? '',
  );
  return blocks.filter((b) => b.includes(`${API}/trpc/`) || b.includes(`${API}/api/`));
}

/** The JSON documents curl printed one after another (without newlines between them). */
function jsonValues(text: string): string[] {
  const values: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}' && --depth === 0) values.push(text.slice(start, i + 1));
  }
  return values;
}

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.stop();
});

describe('the docs’ API examples', () => {
  it('finds examples to run in each doc', () => {
    for (const file of DOCS) expect(apiExamples(file).length, file).toBeGreaterThan(0);
  });

  for (const file of DOCS) {
    it(`${file}: every example pastes and answers results`, async () => {
      for (const block of apiExamples(file)) {
        const script = block
          .replace(/^TOKEN=\.\.\..*$/m, `TOKEN='${TOKENS.writer}'`)
          .replace(/^READER=\.\.\..*$/m, `READER='${TOKENS.reader}'`)
          .replaceAll(API, app.url);
        // Not execFileSync: the API answering the examples runs in this process.
        const { stdout: out } = await run('bash', ['-euo', 'pipefail', '-c', script], {
          encoding: 'utf8',
          timeout: 60_000,
        });
        const answers = jsonValues(out);
        expect(answers.length, block).toBeGreaterThan(0);
        // tRPC wraps data as { result: { data } }; the REST routes answer the data itself.
        const rest = block.includes(`${API}/api/`);
        for (const answer of answers) {
          const parsed = JSON.parse(answer);
          if (rest) expect(parsed, `${block}\n→ ${answer}`).not.toHaveProperty('error');
          else expect(parsed, `${block}\n→ ${answer}`).toHaveProperty('result');
        }
      }
    });
  }
});
