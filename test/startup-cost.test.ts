import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

// What a process with traces off loads at start: every test file's process, every CLI and
// `npm start` pay for it (the OpenTelemetry SDK and exporter took about 0.6 s of CPU).
const PROBE = `
import { createRequire } from 'node:module';
await import('./api/server.ts');
await import('./temporal/worker.ts');
await import('./temporal/client.ts');
const loaded = Object.keys(createRequire(process.cwd() + '/').cache);
const packages = new Set(loaded.map((f) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(f)?.[1]));
console.log(JSON.stringify([...packages].filter(Boolean).sort()));
`;

describe('starting a process with traces off', () => {
  it('loads no OpenTelemetry SDK, exporter, instrumentation or Temporal tracing interceptor', async () => {
    const env = { ...process.env };
    for (const name of Object.keys(env)) if (name.startsWith('OTEL_')) delete env[name];
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', PROBE],
      { cwd: root, env },
    );
    const packages = JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]') as string[];
    expect(packages).toContain('@temporalio/worker');
    expect(
      packages.filter(
        (p) =>
          p.startsWith('@opentelemetry/') &&
          ![
            '@opentelemetry/api',
            '@opentelemetry/core',
            '@opentelemetry/semantic-conventions',
          ].includes(p),
      ),
    ).toEqual([]);
    expect(packages).not.toContain('@temporalio/interceptors-opentelemetry');
  });
});
