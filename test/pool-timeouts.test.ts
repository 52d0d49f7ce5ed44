import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { config } from '../config/env';
import { createPool } from '../eventstore';
import { openPool } from '../temporal/connections';

const pools: { end(): Promise<void> }[] = [];
function track<T extends { end(): Promise<void> }>(pool: T): T {
  pools.push(pool);
  return pool;
}
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
});

describe("the event store pool's timeouts", () => {
  it('a statement longer than the statement timeout is cancelled by the server', async () => {
    const pool = track(createPool(config().DATABASE_URL, 2, { statementTimeoutMs: 300 }));
    const started = Date.now();
    await expect(pool.query('select pg_sleep(10)')).rejects.toMatchObject({
      code: '57014',
      message: expect.stringMatching(/statement timeout/),
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    // The pool goes on serving.
    expect((await pool.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
  });

  it('waiting for a free connection gives up after the connect timeout', async () => {
    const pool = track(createPool(config().DATABASE_URL, 1, { connectTimeoutMs: 300 }));
    const held = await pool.connect();
    try {
      await expect(pool.query('select 1')).rejects.toThrow(
        /timeout exceeded when trying to connect/,
      );
    } finally {
      held.release();
    }
  });

  it('a server that accepts connections and never answers: connecting gives up after the connect timeout', async () => {
    // What a SIGSTOPped PostgreSQL looks like to a new client: the kernel accepts, nobody speaks.
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const pool = track(
        createPool(`postgresql://orders:orders@127.0.0.1:${port}/orders`, 1, {
          connectTimeoutMs: 300,
        }),
      );
      await expect(pool.query('select 1')).rejects.toThrow(/connection timeout/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("the API's pool and the workers' pool carry their configured statement timeouts", async () => {
    const api = track(openPool('api'));
    const worker = track(openPool('worker'));
    const shown = async (pool: typeof api) =>
      (
        await pool.query<{ ms: string }>(
          `select setting as ms from pg_settings where name = 'statement_timeout'`,
        )
      ).rows[0]?.ms;
    expect(await shown(api)).toBe(String(config().DATABASE_STATEMENT_TIMEOUT_MS));
    expect(await shown(worker)).toBe(String(config().DATABASE_WORKER_STATEMENT_TIMEOUT_MS));
  });
});
