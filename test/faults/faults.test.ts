import type { ChildProcess } from 'node:child_process';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config } from '../../config/env';
import { ordersAlias, readOrderDocument } from '../../projections/elasticsearch';
import { projectorWorkflowId } from '../../temporal/projectors';
import { taskQueue } from '../../temporal/task-queues';
import { startTestApp, type TestApp } from '../support/app';
import { assertExactlyOnce, assertReconciled } from '../support/load-checks';
import { stack } from '../support/stack';
import { waitFor } from '../support/wait';
import { startReceiver } from '../support/webhook-receiver';
import { killHard, startWorkerProcess } from '../support/worker-process';
import { checkBudget, type FailureBudget, type LoadResult, startLoad } from './load';
import { freezeElasticsearch, freezePostgres, outage } from './probes';
import { assertAllDelivered, refusedBetween } from './webhooks';

// Each case runs commands under load, injects its fault (proving it took effect), heals it,
// then requires: only the failures its budget allows, and only while the fault lasted;
// commands acknowledged after the heal; every acknowledged command's events exactly once;
// and the read models reconciled with the event store.

let app: TestApp;
let worker: ChildProcess | undefined;
beforeAll(async () => {
  // The webhook case's receiver is on 127.0.0.1 (the worker process allows it too).
  app = await startTestApp([], { webhooks: { allowPrivateUrls: true } });
  worker = await startWorkerProcess();
});
afterAll(async () => {
  for (const s of ['postgres', 'redis', 'elasticsearch', 'temporal'] as const) await stack('up', s);
  worker?.kill('SIGTERM');
  await app?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Nothing may fail: the fault is on the read side, or invisible to callers. */
const NO_FAILURES: FailureBudget = { allowed: [], settleMs: 0 };
/** The honest answer while the write path is down: 503, retry with the same commandId. */
const UNAVAILABLE_RETRY_SAME_ID = {
  kind: '503 SERVICE_UNAVAILABLE',
  message: /retry with the same commandId/,
};

/** Prints each step of a case with the seconds since it began: where a case's time goes. */
function steps(): (step: string) => void {
  const began = Date.now();
  return (step) => console.info(`[faults] +${((Date.now() - began) / 1000).toFixed(1)} s ${step}`);
}

async function underLoad(fault: () => Promise<void>, budget: FailureBudget): Promise<LoadResult> {
  const step = steps();
  const load = startLoad(app, 6);
  // The fault lands on a load under way: every client has had a command acknowledged.
  await waitFor('the load under way', async () =>
    load.everyClientAckedSince(0) ? true : undefined,
  );
  step('load under way; injecting the fault');
  const faultAt = Date.now();
  await fault();
  const healedAt = Date.now();
  step('healed');
  // Failures sent before `settled` are the budget's; then every client sends commands again
  // and has one acknowledged (a client still retrying finishes before stop() returns, and
  // a failure it sees past `settled` fails the case).
  const settled = healedAt + budget.settleMs;
  await sleep(budget.settleMs);
  const recovered = await waitFor(
    'every client acknowledged after settling',
    async () => (load.everyClientAckedSince(settled) ? true : undefined),
    90_000,
  ).catch(() => false);
  const result = await load.stop();
  const lastFailure = Math.max(...result.failures.map((f) => f.sentAt - healedAt));
  const when = (ms: number) =>
    `${(Math.abs(ms) / 1000).toFixed(1)} s ${ms < 0 ? 'before' : 'after'}`;
  step(
    `load stopped: ${result.acked.length} acknowledged, ${result.failures.length} failed attempts${
      result.failures.length > 0 ? `, the last sent ${when(lastFailure)} the heal` : ''
    }`,
  );
  const problems = checkBudget(result, { faultAt, healedAt }, budget);
  expect(problems, problems.join('\n')).toEqual([]);
  expect(recovered, 'every client had a command acknowledged after settling').toBe(true);
  await assertExactlyOnce(app, result.acked);
  await assertReconciled(app, result.acked);
  step('exactly once, reconciled');
  return result;
}

describe('fault suite', () => {
  it('the worker process killed with SIGKILL mid-load, then restarted: no caller sees it', async () => {
    await underLoad(async () => {
      if (!worker) throw new Error('no worker process');
      await killHard(worker);
      await sleep(2_000);
      worker = await startWorkerProcess();
    }, NO_FAILURES);
  });

  it('Elasticsearch stopped until the projector is seen retrying and lagging: commands all succeed, projections retry visibly, then catch up', async () => {
    const admin = app.client('admin');
    await underLoad(
      () =>
        outage('elasticsearch', 10_000, async () => {
          // Operators see it: the runbook's query finds the projector flagged as retrying.
          const query = `TaskQueue = '${taskQueue('projections')}' AND ExecutionStatus = 'Running' AND ProjectionStatus = 'elasticsearch:retrying'`;
          await waitFor(
            'projections flagged as retrying',
            async () =>
              (await app.connections.temporal.workflow.count(query)).count > 0 ? true : undefined,
            45_000,
            500,
          );
          const status = await admin.admin.projections.status.query();
          const es = status.readModels.find((r) => r.readModel === 'elasticsearch');
          expect(es?.retrying).toBe(1);
          // Commands go on while the projector waits: its lag grows.
          await waitFor(
            'lag visible',
            async () => {
              const now = await admin.admin.projections.status.query();
              const lagging = now.readModels.find((r) => r.readModel === 'elasticsearch');
              return (lagging?.lagEvents ?? 0) > 0 && (lagging?.lagSeconds ?? 0) >= 5
                ? true
                : undefined;
            },
            30_000,
            500,
          );
        }),
      NO_FAILURES,
    );
    await waitFor(
      'retrying flags cleared',
      async () => {
        const status = await admin.admin.projections.status.query();
        return status.readModels.every((r) => r.retrying === 0 && r.failed === 0)
          ? true
          : undefined;
      },
      90_000,
      500,
    );
  });

  it('the worker killed while a failing projector batch is retried: the next worker retries it after the heartbeat timeout, not the minute of start-to-close', async () => {
    const projector = app.connections.temporal.workflow.getHandle(
      projectorWorkflowId('elasticsearch'),
    );
    const STARTED = temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;
    let runId = '';
    await underLoad(async () => {
      await freezeElasticsearch(async () => {
        // The failing batch is retried as an activity of its own; an attempt hangs on the
        // frozen cluster. The worker running it dies.
        runId = await waitFor(
          'a projectBatch attempt running',
          async () => {
            const d = await projector.describe();
            const running = d.raw.pendingActivities?.some(
              (a) => a.activityType?.name === 'projectBatch' && a.state === STARTED,
            );
            return running ? d.runId : undefined;
          },
          120_000,
          250,
        );
        if (!worker) throw new Error('no worker process');
        await killHard(worker);
      });
      // `npm run worker` refuses to start while a server does not answer: once it does.
      worker = await startWorkerProcess();
    }, NO_FAILURES);
    // The attempt that succeeded says how the one before it ended.
    const history = await app.connections.temporal.workflow
      .getHandle(projectorWorkflowId('elasticsearch'), runId)
      .fetchHistory();
    const events = history.events ?? [];
    const batches = new Set(
      events
        .filter(
          (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'projectBatch',
        )
        .map((e) => String(e.eventId)),
    );
    const endings = events
      .map((e) => e.activityTaskStartedEventAttributes)
      .filter((a) => a && batches.has(String(a.scheduledEventId)))
      .map((a) => a?.lastFailure?.timeoutFailureInfo?.timeoutType);
    expect(endings).toContain(temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT);
  });

  it('Redis stopped for 10 s: commands all succeed, queries fall back to Elasticsearch', async () => {
    const reader = app.client('reader');
    const writer = app.client('writer');
    const { orderId } = await writer.orders.place.mutate({
      customerId: 'c-redis',
      region: 'north',
      currency: 'CHF',
      items: [{ productId: 'p-redis', quantity: 1, unitPriceMinor: 700 }],
    });
    const done = await writer.orders.complete.mutate({ orderId });
    const alias = ordersAlias(config().ES_INDEX_PREFIX);
    await waitFor('order projected', async () =>
      (await readOrderDocument(app.connections.es, alias, orderId))?.version === done.version
        ? true
        : undefined,
    );
    const month =
      (await reader.orders.get.query({ orderId, minVersion: done.version })).reportMonth ?? '';
    await underLoad(
      () =>
        outage('redis', 10_000, async () => {
          const order = await reader.orders.get.query({ orderId, minVersion: done.version });
          expect(order).toMatchObject({ orderId, version: done.version, stale: false });
          const report = await reader.reports.monthly.query({ month, currency: 'CHF' });
          expect(report.totals.orderCount).toBeGreaterThanOrEqual(1);
        }),
      NO_FAILURES,
    );
  });

  it('PostgreSQL down for 20 s: 503 "retry with the same commandId", then that commandId succeeds once', async () => {
    // Settling: a partition whose workflow task failed while the store was away refuses
    // updates for a while after the heal; callers are told 503 meanwhile, never 500.
    const result = await underLoad(() => outage('postgres', 20_000), {
      allowed: [UNAVAILABLE_RETRY_SAME_ID],
      settleMs: 30_000,
    });
    // The outage outlasted the command path's own retries: callers were told, and their
    // retries with the same command id were then acknowledged (exactly once, checked above).
    expect(result.failures.length).toBeGreaterThan(0);
    expect(result.acked.filter((a) => a.failedAttempts > 0).length).toBeGreaterThan(0);
  });

  it('PostgreSQL frozen with SIGSTOP for 30 s: commands 503 within their deadline, /healthz and reads keep answering, all recovers alone', async () => {
    const reader = app.client('reader');
    const writer = app.client('writer');
    const { orderId } = await writer.orders.place.mutate({
      customerId: 'c-frozen',
      region: 'north',
      currency: 'CHF',
      items: [{ productId: 'p-frozen', quantity: 1, unitPriceMinor: 900 }],
    });
    const done = await writer.orders.complete.mutate({ orderId });
    const month =
      (await reader.orders.get.query({ orderId, minVersion: done.version })).reportMonth ?? '';
    const health: { status: number; ms: number }[] = [];
    const result = await underLoad(
      () =>
        freezePostgres(30_000, async () => {
          const until = Date.now() + 25_000;
          // Probed all along the freeze: each answer bounded, never queued behind the pool.
          const probeHealth = async () => {
            while (Date.now() < until) {
              const started = Date.now();
              const res = await fetch(`${app.url}/healthz`, {
                signal: AbortSignal.timeout(10_000),
              });
              health.push({ status: res.status, ms: Date.now() - started });
              await res.body?.cancel();
              await sleep(500);
            }
          };
          // Reads come from the read models, which do not need PostgreSQL.
          const read = async () => {
            while (Date.now() < until) {
              const order = await reader.orders.get.query({ orderId, minVersion: done.version });
              expect(order).toMatchObject({ orderId, version: done.version, stale: false });
              const report = await reader.reports.monthly.query({ month, currency: 'CHF' });
              expect(report.totals.orderCount).toBeGreaterThanOrEqual(1);
              // Read-your-writes cannot confirm the position without PostgreSQL: it says
              // `stale` after its bounded wait instead of failing.
              const page = await reader.orders.search.query({
                customerId: 'c-frozen',
                minPosition: done.position,
              });
              expect(page.items.map((i) => i.orderId)).toContain(orderId);
              await sleep(1_000);
            }
          };
          await Promise.all([probeHealth(), read()]);
        }),
      { allowed: [UNAVAILABLE_RETRY_SAME_ID], settleMs: 30_000 },
    );
    // About one probe per 2.5 s over 25 s (each takes ~2 s while PostgreSQL is down).
    expect(health.length).toBeGreaterThanOrEqual(8);
    expect(health.filter((h) => h.ms > 3_000)).toEqual([]);
    expect(health.filter((h) => h.status === 503).length).toBeGreaterThan(0);
    // No caller waited past the command deadline (the load gives up only after 60 s).
    const deadline = config().COMMAND_DEADLINE_MS + 3_000;
    const attempts = [...result.acked, ...result.failures];
    expect(attempts.filter((a) => a.durationMs > deadline)).toEqual([]);
    expect(result.failures.length).toBeGreaterThan(0);
    // Recovered alone: healthy again, nothing restarted.
    await waitFor(
      '/healthz 200 after the thaw',
      async () => ((await fetch(`${app.url}/healthz`)).status === 200 ? true : undefined),
      30_000,
      500,
    );
  });

  it('the Temporal server restarted (its SQLite state kept): 503s while down, nothing lost', async () => {
    // Settling: a partition whose workflow task was lost in the restart waits for the
    // server's task timeout (10 s), then replays its run ("Workflow task not found" in the
    // worker log); callers sent meanwhile are told 503 and their resends succeed. Seen up
    // to ~25 s after the heal on a loaded machine.
    await underLoad(() => outage('temporal', 3_000), {
      allowed: [UNAVAILABLE_RETRY_SAME_ID],
      settleMs: 30_000,
    });
  });

  it('a webhook receiver down for 60 s under load: deliveries refused while down, then every event delivered in order, repeats under the same id only', async () => {
    const receiver = await startReceiver();
    try {
      const admin = app.client('admin');
      const sub = await admin.subscriptions.create.mutate({ url: receiver.url('faults') });
      await receiver.control('faults', { secrets: [sub.secret] });
      const start = (await admin.subscriptions.get.query({ id: sub.id })).checkpoint;
      let down = 0;
      let up = 0;
      await underLoad(async () => {
        await receiver.kill();
        down = Date.now();
        // Proven down: its port refuses connections, and so it refuses the deliveries.
        await expect(fetch(receiver.url('faults'), { method: 'POST' })).rejects.toThrow();
        await waitFor('a delivery refused', async () =>
          (await refusedBetween(app, sub.id, down, Date.now())) > 0 ? true : undefined,
        );
        await sleep(Math.max(0, 60_000 - (Date.now() - down)));
        await receiver.restart();
        up = Date.now();
      }, NO_FAILURES);
      const refused = await refusedBetween(app, sub.id, down, up);
      const { events, repeats } = await assertAllDelivered(app, receiver, 'faults', sub.id, start);
      console.info(
        `[faults] receiver down ${((up - down) / 1000).toFixed(0)} s: ${refused} attempts refused; ${events} events delivered, ${repeats} repeats`,
      );
      expect(refused).toBeGreaterThan(0);
      expect((await admin.subscriptions.get.query({ id: sub.id })).state).not.toBe('disabled');
    } finally {
      await receiver.stop();
    }
  });

  it('the same command 5 times concurrently, and 20 conflicting commands on one order', async () => {
    const writer = app.client('writer');
    const commandId = crypto.randomUUID();
    const input = {
      commandId,
      customerId: 'c-dup',
      region: 'north',
      currency: 'CHF',
      items: [{ productId: 'p-dup', quantity: 1, unitPriceMinor: 500 }],
    };
    const replies = await Promise.all(
      Array.from({ length: 5 }, () => writer.orders.place.mutate(input)),
    );
    expect(new Set(replies.map((r) => r.orderId)).size).toBe(1);
    const orderId = replies[0]?.orderId ?? '';
    const completes = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        writer.orders.complete.mutate({ orderId, commandId: crypto.randomUUID() }),
      ),
    );
    const won = completes.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(won).toHaveLength(1);
    const { rows } = await app.connections.pool.query(
      `select event_type, count(*)::int as n from events where stream_id = $1 group by 1 order by 1`,
      [`order-${orderId}`],
    );
    expect(rows).toEqual([
      { event_type: 'OrderCompleted', n: 1 },
      { event_type: 'OrderPlaced', n: 1 },
    ]);
  });
});
