import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Client as EsClient, errors } from '@elastic/elasticsearch';
import pg from 'pg';
import { elasticsearchOptions } from '../../config/client-options';
import { config } from '../../config/env';
import { type StackService, stack } from '../support/stack';
import { accepts as acceptsAt } from '../support/tcp-probe';

/** Where each service of the test environment listens (from the app's own settings). */
export function endpointOf(service: StackService): { host: string; port: number } {
  const c = config();
  if (service === 'temporal') {
    const [host = '127.0.0.1', port = '7233'] = c.TEMPORAL_ADDRESS.split(':');
    return { host, port: Number(port) };
  }
  const url = new URL(
    service === 'postgres'
      ? c.DATABASE_URL
      : service === 'redis'
        ? c.REDIS_URL
        : c.ELASTICSEARCH_URL,
  );
  return { host: url.hostname, port: Number(url.port) };
}

/** Whether something accepts TCP connections at the service's address right now. */
export function accepts(service: StackService): Promise<boolean> {
  const { host, port } = endpointOf(service);
  return acceptsAt(port, host);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Stops a service and keeps it down for `ms` at least, and until `during` (what the case
 * checks while it is down) has finished, proving every half second that it really refuses
 * connections; then starts it and proves it accepts them again.
 */
export async function outage(
  service: StackService,
  ms: number,
  during?: () => Promise<void>,
): Promise<void> {
  const began = Date.now();
  await stack('down', service);
  const stoppedAt = Date.now();
  const until = stoppedAt + ms;
  let probes = 0;
  // What the case checks while the service is down runs next to the probes; a failure
  // is reported after the service is back, so the next case starts on a whole stack.
  let checked = false;
  const check = (during?.() ?? Promise.resolve()).then(
    () => undefined,
    (err: unknown) => err,
  );
  void check.finally(() => {
    checked = true;
  });
  let failure: unknown;
  let downFor = 0;
  try {
    while (Date.now() < until || !checked) {
      if (await accepts(service)) {
        throw new Error(
          `${service} accepted a connection during its outage: the fault took no effect`,
        );
      }
      probes++;
      await sleep(500);
    }
    downFor = Date.now() - stoppedAt;
    if (probes < Math.floor(downFor / 1_000)) {
      throw new Error(`${service}: too few probes (${probes} in ${downFor} ms)`);
    }
    failure = await check;
  } finally {
    // Whatever failed, the next case starts on a whole stack.
    await stack('up', service);
  }
  if (!(await accepts(service))) throw new Error(`${service} did not come back`);
  const s = (n: number) => `${(n / 1000).toFixed(1)} s`;
  console.info(
    `[faults] ${service}: stopped in ${s(stoppedAt - began)}, down ${s(downFor)} (${probes} probes), back in ${s(Date.now() - stoppedAt - downFor)}`,
  );
  if (failure) throw failure;
}

/** The pid of the stack's PostgreSQL postmaster, from its pid file in the stack's data dir. */
function postmasterPid(): number {
  const dataDir = process.env.STACK_DATA_DIR;
  if (!dataDir) throw new Error('STACK_DATA_DIR is not set (scripts/test-faults.sh sets it)');
  const pid = Number(
    readFileSync(`${dataDir}/postgres/data/postmaster.pid`, 'utf8').split('\n')[0],
  );
  if (!Number.isInteger(pid) || pid <= 0) throw new Error('no pid in postmaster.pid');
  return pid;
}

/** The direct children of a process (a postmaster's are its backends and helpers). */
function childrenOf(pid: number): number[] {
  const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => n > 0);
}

/** A process's state letter from /proc (T: stopped by a signal). */
function stateOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '?';
}

/** Whether a fresh PostgreSQL connection gets an answer to `select 1` within `ms`. */
async function pgAnswers(ms: number): Promise<boolean> {
  const client = new pg.Client({
    connectionString: config().DATABASE_URL,
    connectionTimeoutMillis: ms,
    query_timeout: ms,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    client.end().catch(() => undefined);
  }
}

/**
 * Freezes PostgreSQL for `ms` with SIGSTOP — the postmaster and every child, since a
 * stopped postmaster alone still lets the open backends answer — proving every half second
 * that all of them are stopped; connections stay open, nothing answers (a blackholed
 * server). Then SIGCONT, and proves it answers again. `during` runs next to the probes.
 */
export async function freezePostgres(ms: number, during?: () => Promise<void>): Promise<void> {
  const postmaster = postmasterPid();
  const frozen = new Set<number>();
  const stopAll = () => {
    // The postmaster first, so it forks nothing new; then its children, listed again
    // until none is left running (one may have been forked just before).
    process.kill(postmaster, 'SIGSTOP');
    frozen.add(postmaster);
    for (let round = 0; round < 5; round++) {
      const fresh = childrenOf(postmaster).filter((c) => !frozen.has(c));
      if (fresh.length === 0) return;
      for (const c of fresh) {
        try {
          process.kill(c, 'SIGSTOP');
          frozen.add(c);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
        }
      }
    }
  };
  let failure: unknown;
  let check: Promise<unknown> = Promise.resolve();
  try {
    stopAll();
    if (await pgAnswers(1_000)) throw new Error('postgres answered while frozen: no effect');
    check = (during?.() ?? Promise.resolve()).then(
      () => undefined,
      (err: unknown) => err,
    );
    const until = Date.now() + ms;
    let probes = 0;
    while (Date.now() < until) {
      const running = [...frozen].filter((p) => {
        try {
          return stateOf(p) !== 'T';
        } catch {
          return false; // exited (a backend whose client went away, before the stop)
        }
      });
      if (running.length > 0)
        throw new Error(`postgres processes not stopped: ${running.join(' ')}`);
      probes++;
      await sleep(500);
    }
    if (probes < Math.floor(ms / 1_000)) throw new Error(`postgres: too few probes (${probes})`);
    failure = await check;
  } finally {
    // Whatever failed, the next case starts on a running PostgreSQL.
    for (const p of frozen) {
      try {
        process.kill(p, 'SIGCONT');
      } catch {}
    }
  }
  if (!(await pgAnswers(10_000))) throw new Error('postgres did not answer after SIGCONT');
  if (failure) throw failure;
}

/** The pid of the process listening on a TCP port (Elasticsearch's JVM), from ss(8). */
function listenerPid(port: number): number {
  const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  const pid = Number(/pid=(\d+)/.exec(out)?.[1]);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`nothing listens on port ${port}`);
  return pid;
}

/** Whether Elasticsearch answers within `ms` (a stopped JVM still accepts TCP). */
async function esAnswers(ms: number): Promise<boolean> {
  const es = new EsClient({ ...elasticsearchOptions(config()), requestTimeout: ms, maxRetries: 0 });
  try {
    await es.cluster.health({ timeout: '1s' });
    return true;
  } catch (err) {
    // An error answer is an answer; a timeout or a refused connection is not.
    return err instanceof errors.ResponseError;
  } finally {
    await es.close();
  }
}

/**
 * Freezes Elasticsearch with SIGSTOP until `during` has finished, proving every half second
 * that its JVM is stopped: connections are accepted, nothing answers, so a request in flight
 * hangs until its timeout. Then SIGCONT, and proves it answers again.
 */
export async function freezeElasticsearch(during: () => Promise<void>): Promise<void> {
  const jvm = listenerPid(endpointOf('elasticsearch').port);
  let failure: unknown;
  try {
    process.kill(jvm, 'SIGSTOP');
    if (await esAnswers(1_000)) throw new Error('elasticsearch answered while frozen: no effect');
    let done = false;
    const check = during().then(
      () => undefined,
      (err: unknown) => err,
    );
    void check.finally(() => {
      done = true;
    });
    while (!done) {
      if (stateOf(jvm) !== 'T') throw new Error('the elasticsearch JVM is not stopped');
      await sleep(500);
    }
    failure = await check;
  } finally {
    // Whatever failed, the next case starts on a running Elasticsearch.
    process.kill(jvm, 'SIGCONT');
  }
  if (!(await esAnswers(10_000))) throw new Error('elasticsearch did not answer after SIGCONT');
  if (failure) throw failure;
}
