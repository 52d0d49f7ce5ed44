// Other people's test runs stop and restart the servers on this shared machine: a phase hit
// by that is redone from its start once the stack answers again (and said so in the results).
import { performance } from 'node:perf_hooks';
import type { Client as EsClient } from '@elastic/elasticsearch';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { log } from './log';

export interface Interruption {
  phase: string;
  at: string;
  error: string;
  down: string[];
}

export interface Servers {
  pool: pg.Pool;
  es: EsClient;
  redis: Redis;
}

/** Runs one phase of the benchmark, redone after an outage. */
export type Phase = <T>(name: string, run: () => Promise<T>) => Promise<T>;

async function serversDown({ pool, es, redis }: Servers): Promise<string[]> {
  const checks: [string, () => Promise<unknown>][] = [
    ['postgres', () => pool.query('select 1')],
    ['elasticsearch', () => es.cluster.health({ timeout: '5s' }, { requestTimeout: 5_000 })],
    ['redis', () => redis.ping()],
  ];
  const results = await Promise.allSettled(checks.map(([, check]) => check()));
  return checks.filter((_, i) => results[i]?.status === 'rejected').map(([name]) => name);
}

/** Errors of a server that went away (it may be back by the time we look). */
function looksLikeOutage(err: unknown): boolean {
  const text = `${err instanceof Error ? `${err.name} ${err.message}` : String(err)}`;
  return /ECONNREFUSED|ECONNRESET|EPIPE|socket hang up|Connection terminated|Connection is closed|terminating connection|the database system is (starting up|shutting down)|NoLivingConnections|ConnectionError|MaxRetriesPerRequest/i.test(
    text,
  );
}

async function waitForServers(servers: Servers): Promise<void> {
  const deadline = performance.now() + 15 * 60_000;
  for (;;) {
    const down = await serversDown(servers);
    if (down.length === 0) {
      // Elasticsearch answers before its shards are back: wait for them too.
      await servers.es.cluster.health({ wait_for_status: 'yellow', timeout: '60s' });
      return;
    }
    if (performance.now() > deadline) throw new Error(`servers still down: ${down.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

/** A phase runner that redoes a phase hit by an outage (up to 5 attempts), noting each. */
export function redoAfterOutages(servers: Servers, interruptions: Interruption[]): Phase {
  return async (name, run) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (err) {
        const down = await serversDown(servers);
        if (attempt >= 5 || (down.length === 0 && !looksLikeOutage(err))) throw err;
        const error = err instanceof Error ? err.message : String(err);
        log(`${name}: interrupted (${error.slice(0, 120)}); down: ${down.join(', ') || '?'}`);
        interruptions.push({ phase: name, at: new Date().toISOString(), error, down });
        await waitForServers(servers);
        log(`${name}: servers back, redoing the phase`);
      }
    }
  };
}
