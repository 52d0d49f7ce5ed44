import { randomUUID } from 'node:crypto';
import { Client as EsClient } from '@elastic/elasticsearch';
import { TRPCClientError } from '@trpc/client';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AppRouter } from '../api/client';
import { config } from '../config/env';
import { ensureOrdersIndex, ensureReportsIndex } from '../projections/elasticsearch';
import { TOKENS } from './support/app';
import { type AppProcess, startAppProcess } from './support/app-process';
import { freePort } from './support/prometheus-text';
import { waitFor } from './support/wait';

// Nothing listens on port 1 of this machine: a server that is down.
const NOWHERE_TEMPORAL = '127.0.0.1:1';
const NOWHERE_HTTP = 'http://127.0.0.1:1';

const place = () => ({
  commandId: randomUUID(),
  customerId: 'c-lifecycle',
  region: 'eu',
  currency: 'EUR',
  items: [{ productId: 'p-lifecycle', quantity: 1, unitPriceMinor: 100 }],
});

const codeOf = (err: unknown) => (err as TRPCClientError<AppRouter>).data?.code;

// The read models exist (workers create them; none runs in this file's first tests).
beforeAll(async () => {
  const es = new EsClient({ node: config().ELASTICSEARCH_URL });
  await ensureOrdersIndex(es, config().ES_INDEX_PREFIX);
  await ensureReportsIndex(es, config().ES_INDEX_PREFIX);
  await es.close();
});

let running: AppProcess | undefined;
afterEach(async () => {
  await running?.stop('SIGKILL');
  running = undefined;
});

// Each process start costs seconds: the tests of one describe share the process its
// settings allow, in order, the last one stopping it (a failed one leaves it to afterAll).
describe('the API process without Temporal, and without metrics', () => {
  let api: AppProcess;
  let metricsPort: number;
  beforeAll(async () => {
    metricsPort = await freePort();
    api = await startAppProcess('api/main.ts', {
      TEMPORAL_ADDRESS: NOWHERE_TEMPORAL,
      COMMAND_DEADLINE_MS: '2000',
      METRICS_PORT: String(metricsPort),
      METRICS_ENABLED: 'false',
    });
  });
  afterAll(async () => {
    await api?.stop('SIGKILL');
  });

  it('serves nothing on METRICS_PORT with METRICS_ENABLED=false', async () => {
    const off = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).catch((e: unknown) => e);
    expect(off).toBeInstanceOf(Error);
    expect(((off as Error).cause as { code?: string }).code).toBe('ECONNREFUSED');
    // The API itself answers as usual.
    expect((await fetch(`${api.url}/livez`)).status).toBe(200);
  });

  it('starts without Temporal: reads answer, commands get 503 within their deadline, /healthz says so', async () => {
    const reads = await api.client('reader').orders.search.query({ pageSize: 1 });
    expect(reads.items).toBeInstanceOf(Array);

    const started = performance.now();
    const err = await api
      .client('writer')
      .orders.place.mutate(place())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCClientError);
    expect(codeOf(err)).toBe('SERVICE_UNAVAILABLE');
    expect((err as Error).message).toMatch(/retry with the same commandId/);
    expect(performance.now() - started).toBeLessThan(2_000 + 2_000);

    const health = await fetch(`${api.url}/healthz`);
    expect(health.status).toBe(503);

    expect(await api.stop()).toBe(0);
    expect(api.output()).not.toMatch(/unhandled|Channel has been shut down/i);
  }, 60_000);
});

describe('the API process with metrics on a port of its own and a 1 s statement timeout', () => {
  let api: AppProcess;
  let metricsPort: number;
  beforeAll(async () => {
    metricsPort = await freePort();
    api = await startAppProcess('api/main.ts', {
      METRICS_PORT: String(metricsPort),
      DATABASE_STATEMENT_TIMEOUT_MS: '1000',
    });
  });
  afterAll(async () => {
    await api?.stop('SIGKILL');
  });

  it('serves /metrics on METRICS_PORT', async () => {
    const on = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(on.status).toBe(200);
    expect(await on.text()).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });

  it('a reconcile the event store cannot answer within the statement timeout is 503 naming the workflow way', async () => {
    // Another session holds the events table: the reconcile's reads wait on its lock.
    const holder = new pg.Client({ connectionString: config().DATABASE_URL });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('lock table events in access exclusive mode');
      const started = performance.now();
      const err = await api
        .client('admin')
        .admin.reconcile.mutate({ month: '2019-03' })
        .catch((e: unknown) => e);
      expect(codeOf(err)).toBe('SERVICE_UNAVAILABLE');
      expect((err as Error).message).toContain("did not answer within the API's statement timeout");
      expect((err as Error).message).toContain('npm run reconcile -- --month 2019-03 --workflow');
      expect(performance.now() - started).toBeLessThan(1_000 + 3_000);
    } finally {
      await holder.query('rollback');
      await holder.end();
    }
    // The lock gone, the same call answers.
    const result = await api.client('admin').admin.reconcile.mutate({ month: '2019-03' });
    expect(result.month).toBe('2019-03');
  }, 60_000);

  it('on SIGTERM lets the request in flight finish, refuses new ones, and exits 0', async () => {
    // A read that waits (2 s) for a position the projectors have not reached, then answers.
    const inFlight = fetch(
      `${api.url}/trpc/reports.monthly?input=${encodeURIComponent(
        JSON.stringify({ month: '2024-01', currency: 'EUR', minPosition: 9_000_000_000_000 }),
      )}`,
      { headers: { authorization: `Bearer ${TOKENS.reader}` } },
    );
    await new Promise((r) => setTimeout(r, 500));
    const exited = api.stop('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    const refused = await fetch(`${api.url}/healthz`).catch((e: Error) => e);
    expect(refused).toBeInstanceOf(Error);

    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(
      ((await answer.json()) as { result: { data: { stale: boolean } } }).result.data.stale,
    ).toBe(true);
    expect(await exited).toBe(0);
    expect(api.output()).toMatch(/"msg":"stopped"/);
    expect(api.output()).not.toMatch(/unhandled/i);
  }, 60_000);
});

describe('an error nothing catches', () => {
  it('is logged with its trace id and ends the process with 1, for its supervisor to restart', async () => {
    running = await startAppProcess('api/main.ts', {
      NODE_OPTIONS: '--import ./test/fixtures/throw-on-signal.mjs',
      // Traces on (to nowhere), so the error has a trace to be logged with.
      OTEL_EXPORTER_OTLP_ENDPOINT: NOWHERE_HTTP,
    });
    const exited = new Promise<number | null>((resolve) =>
      running?.child.once('exit', (code) => resolve(code)),
    );
    running.child.kill('SIGUSR2');
    expect(await exited).toBe(1);
    const fatal = running
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map(
        (line) =>
          JSON.parse(line) as {
            level: number;
            msg: string;
            traceId?: string;
            err?: { message: string };
          },
      )
      .find((line) => line.level === 60);
    expect(fatal?.msg).toMatch(/uncaught error: exiting so that a supervisor restarts/);
    expect(fatal?.err?.message).toBe('fixture: thrown where nothing catches it');
    expect(fatal?.traceId).toMatch(/^(?!0+$)[0-9a-f]{32}$/);
  }, 60_000);
});

describe('npm start (the app: API and workers in one process)', () => {
  it('starts without Elasticsearch: commands are served, /healthz says what is missing', async () => {
    running = await startAppProcess('scripts/app.ts', {
      ELASTICSEARCH_URL: NOWHERE_HTTP,
      // Its own queues: its workers serve nobody else's commands.
      TASK_QUEUE_PREFIX: `${config().TASK_QUEUE_PREFIX}-no-es`,
    });
    const reply = await running.client('writer').orders.place.mutate(place());
    expect(reply.version).toBe(1);
    const health = await fetch(`${running.url}/healthz`);
    expect(health.status).toBe(503);
    // The projections worker waits for Elasticsearch, and says so.
    const app = running;
    await waitFor('the projections worker retrying', async () =>
      /"queue":"projections".*worker cannot start yet; retrying/.test(app.output())
        ? true
        : undefined,
    );
    expect(await running.stop()).toBe(0);
    expect(running.output()).not.toMatch(/unhandled/i);
  }, 90_000);
});
