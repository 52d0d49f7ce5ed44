import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config } from '../config/env';
import { addMonths, monthIn } from '../domain/report-months';
import { startTestApp, type TestApp } from './support/app';

// The command-line tools answer the same months the same way as the API, and their exit
// codes mean one thing each: 0 done, 1 differences found (reconcile), 2 a usage error or a
// refusal — with a one-line reason, never a stack trace.

function run(script: string, args: string[], env: Record<string, string> = {}) {
  const result = spawnSync('npx', ['tsx', `scripts/${script}.ts`, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const noStackTrace = (text: string) => expect(text).not.toMatch(/\n\s+at /);

describe('npm run report -- show', () => {
  it('refuses a month past retention as the API does (it printed a live report, exit 0)', () => {
    const retention = 24;
    const current = monthIn(new Date(), config().REPORT_TIMEZONE);
    const expired = addMonths(current, -retention - 1);
    const r = run('report', ['show', expired, '--currency', 'EUR'], {
      READ_MODEL_RETENTION_MONTHS: String(retention),
    });
    expect(r.status, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain(`NOT_FOUND: ${expired} is past the read models' retention`);
    expect(r.stdout).not.toContain('Monthly report');
    noStackTrace(r.stderr);
  });

  it('refuses a month that has not begun', () => {
    const r = run('report', ['show', '9999-12', '--currency', 'EUR']);
    expect(r.status, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain('BAD_REQUEST: 9999-12 has not begun');
  });

  it('says what is wrong with a currency or a month, not that it is missing', () => {
    const currency = run('report', ['show', '2025-06', '--currency', 'eur']);
    expect(currency.status).toBe(2);
    expect(currency.stderr).toContain('--currency must be 3 capital letters');
    expect(currency.stderr).toContain('"eur"');
    const month = run('report', ['show', '2025-6', '--currency', 'EUR']);
    expect(month.status).toBe(2);
    expect(month.stderr).toContain('got "2025-6"');
  });
});

describe('npm run reconcile', () => {
  // The read models it compares exist once a worker has started (as under `npm start`).
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('takes the month positionally as report show does (it crashed with exit 1)', () => {
    // A month no test writes: nothing to differ, so 0.
    const r = run('reconcile', ['1903-02']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('reconcile 1903-02');
    expect(r.stdout).toContain('no differences');
  });

  it('exits 2 with a one-line reason on a usage error, never 1 (which means differences)', () => {
    for (const args of [['--month', '2025-6'], ['--bogus'], []]) {
      const r = run('reconcile', args);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain('usage: npm run reconcile -- [--month] YYYY-MM');
      noStackTrace(r.stderr);
    }
  });
});

describe('npm start and npm run worker -- --queues', () => {
  it('refuse an unknown or empty queue list with exit 2, naming the queues there are', () => {
    for (const [script, queues] of [
      ['scripts/app.ts', 'commands,nope'],
      ['temporal/main.ts', ','],
    ] as const) {
      const r = spawnSync('npx', ['tsx', script, '--queues', queues], {
        env: process.env,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status, `${script} ${queues}: ${r.stdout}${r.stderr}`).toBe(2);
      expect(r.stderr).toContain('choose from commands, projections, webhooks');
      noStackTrace(r.stderr);
    }
  });
});
