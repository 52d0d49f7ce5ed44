import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config } from '../config/env';
import { orderStreamId } from '../domain/streams';
import { EventStore } from '../eventstore';
import { startTestApp, type TestApp } from './support/app';
import { fresh, waitFor } from './support/wait';

/**
 * The real PostgreSQL, with one fault on the client side: the first COMMIT of a command
 * batch is carried out by the server, but its reply never reaches the worker (as when the
 * connection drops right after the commit): the worker sees a failed commit.
 */
class LosesFirstCommitReply extends pg.Pool {
  lost = 0;
  override async connect(): Promise<pg.PoolClient>;
  override connect(
    callback: (err: Error | undefined, client: pg.PoolClient | undefined, done: () => void) => void,
  ): void;
  // biome-ignore lint/suspicious/noExplicitAny: the overloads of pg's connect
  override connect(callback?: any): any {
    if (callback) return super.connect(callback);
    return super.connect().then((client) => this.wrap(client));
  }

  private wrap(client: pg.PoolClient): pg.PoolClient {
    if ((client as { wrapped?: boolean }).wrapped) return client;
    (client as { wrapped?: boolean }).wrapped = true;
    const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
    let appendedCommands = false;
    (client as { query: unknown }).query = async (...args: unknown[]) => {
      const text = typeof args[0] === 'string' ? args[0] : '';
      if (text.includes('insert into commands')) appendedCommands = true;
      if (text === 'commit' && appendedCommands && this.lost === 0) {
        this.lost++;
        await query('commit');
        throw new Error('Connection terminated unexpectedly (the reply to COMMIT was lost)');
      }
      if (text === 'commit' || text === 'rollback') appendedCommands = false;
      return query(...args);
    };
    return client;
  }
}

let app: TestApp;
let pool: LosesFirstCommitReply;
beforeAll(async () => {
  pool = new LosesFirstCommitReply({ connectionString: config().DATABASE_URL, max: 4 });
  pool.on('error', () => undefined);
  app = await startTestApp(['commands', 'projections'], { workerPool: pool });
});
afterAll(async () => {
  await app?.stop();
  await pool?.end();
});

describe('a commit whose reply is lost', () => {
  it('is settled from the commands table: the caller gets the normal reply, once, and the read models learn it', async () => {
    const commandId = randomUUID();
    const reply = await app.client('writer').orders.place.mutate({
      commandId,
      customerId: 'c-ambiguous',
      region: 'eu',
      currency: 'EUR',
      items: [{ productId: 'p-ambiguous', quantity: 1, unitPriceMinor: 100 }],
    });
    // The fault happened: a commit went through whose reply the worker never saw.
    expect(pool.lost).toBe(1);
    expect(reply).toMatchObject({ orderId: `o-${commandId}`, version: 1 });
    const store = new EventStore(app.connections.pool);
    expect(await store.readStream(orderStreamId(reply.orderId))).toHaveLength(1);
    // The projector learns it (whenever it gets to it: files side by side load the machine,
    // and how fast it projects is not what this proves).
    const order = await waitFor('the read model to learn the settled order', async () =>
      fresh(
        await app
          .client('reader')
          .orders.get.query({ orderId: reply.orderId, minVersion: reply.version }),
      ),
    );
    expect(order).toMatchObject({ version: 1, stale: false, status: 'placed' });
  });
});
