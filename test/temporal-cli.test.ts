import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const temporal = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
  promisify(execFile)('bash', ['scripts/temporal.sh', ...args], { cwd: root, env }).then(
    ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
    (err: { code: number; stdout: string; stderr: string }) => err,
  );

describe('npm run temporal -- … (the runbook snippets)', () => {
  it('runs the CLI against the stack without it on PATH', async () => {
    const { code, stdout, stderr } = await temporal([
      'workflow',
      'count',
      '--query',
      'WorkflowId = "no-such-workflow"',
    ]);
    expect(code, stderr).toBe(0);
    expect(stdout.trim()).toBe('Total: 0');
  });

  it('says how to get the CLI when there is none', async () => {
    const emptyCache = mkdtempSync(join(tmpdir(), 'no-temporal-'));
    const { code, stderr } = await temporal(['workflow', 'list'], {
      ...process.env,
      PATH: '/usr/bin:/bin',
      STACK_CACHE_DIR: emptyCache,
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/npm run stack -- up/);
  });
});
