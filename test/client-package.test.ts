import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, TOKENS } from './support/app';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = join(root, 'node_modules/typescript/bin/tsc');

// A service outside this repository, as a backend team writes it: it installs the package
// (here: linked, as `npm install /path/to/order-reporting` does) and imports its client.
const consumer = `import { createOrdersClient, FUTURE_MONTH } from 'order-reporting/client';

const [url, token] = process.argv.slice(2) as [string, string];
const api = createOrdersClient({ url, token });
const item = { productId: 'sku-outside', quantity: 2, unitPriceMinor: 1250 };

export function typesComeFromTheServer() {
  // @ts-expect-error quantity is a number in the API's own input schema
  void api.orders.place.mutate({ customerId: 'c', region: 'eu', currency: 'EUR', items: [{ ...item, quantity: '2' }] });
  // @ts-expect-error there is no such procedure
  void api.orders.erase;
}

const placed = await api.orders.place.mutate({ customerId: 'c-outside', region: 'eu', currency: 'EUR', items: [item] });
const orderId: string = placed.orderId;
const { version } = await api.orders.complete.mutate({ orderId });
// Each call waits up to 2 s for the read model to reach the version; a busy machine may need more.
let order = await api.orders.get.query({ orderId, minVersion: version });
for (let i = 0; order.stale && i < 30; i++) order = await api.orders.get.query({ orderId, minVersion: version });
const status: string = order.status;
console.log(JSON.stringify({ orderId, status, futureMonth: FUTURE_MONTH }));
`;

let app: TestApp;
let dir: string;
beforeAll(async () => {
  app = await startTestApp();
  dir = await mkdtemp(join(tmpdir(), 'order-client-'));
});
afterAll(async () => {
  await app?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the typed client, imported from outside the repository', () => {
  it('type-checks against the package entry (wrong inputs refused) and places, completes and reads an order', async () => {
    // scripts/test.sh builds it beside the type checks; `npm run build:client` does it by hand.
    expect(
      existsSync(join(root, 'dist/client/client.d.ts')),
      'dist/client is missing: run npm run build:client',
    ).toBe(true);
    await mkdir(join(dir, 'node_modules'));
    await symlink(root, join(dir, 'node_modules/order-reporting'), 'dir');
    await mkdir(join(dir, 'node_modules/@types'));
    await symlink(join(root, 'node_modules/@types/node'), join(dir, 'node_modules/@types/node'));
    await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    await writeFile(join(dir, 'consumer.ts'), consumer);
    // The settings a new Node service starts with; nothing of this repository's tsconfig.
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          skipLibCheck: true,
          types: ['node'],
          lib: ['ES2022'],
          outDir: 'out',
        },
        files: ['consumer.ts'],
      }),
    );
    await run(process.execPath, [tsc, '-p', dir], { cwd: dir }).catch((err: { stdout: string }) => {
      throw new Error(`the consumer does not compile:\n${err.stdout}`);
    });
    const { stdout } = await run(
      process.execPath,
      [join(dir, 'out/consumer.js'), `${app.url}/trpc`, TOKENS.writer],
      { cwd: dir },
    );
    const result = JSON.parse(stdout) as { orderId: string; status: string; futureMonth: string };
    expect(result.orderId).toMatch(/^o-/);
    expect(result.status).toBe('completed');
    expect(result.futureMonth).toBe('FutureMonth');
  });
});
