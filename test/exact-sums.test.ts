import type { WorkflowHandle } from '@temporalio/client';
import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RollupSummary } from '../activities/report-activities';
import type { AppRouter } from '../api/client';
import { config } from '../config/env';
import {
  ordersAlias,
  readOrderDocument,
  readRollup,
  reportsIndexName,
  rollupBasis,
  writeRollup,
} from '../projections/elasticsearch';
import { reconcileMonth } from '../projections/reconcile';
import { metricsRegistry } from '../runtime/metrics';
import { requestRerollup } from '../temporal/reports-client';
import { prefixedId, taskQueue } from '../temporal/task-queues';
import {
  type MonthlyRollupResult,
  type monthlyRollupWorkflow,
  rerollupWorkflowId,
} from '../workflows/reports';
import { startTestApp, type TestApp } from './support/app';
import { completeOrderIn } from './support/completed-orders';
import { parseSamples, sampleValue } from './support/prometheus-text';
import { waitFor } from './support/wait';

// A month whose sales pass 2^53 minor units: Elasticsearch adds in doubles, so its sum may
// be rounded. The report refuses to answer a rounded number; reconciliation computes the
// month exactly and reports the read model's total as a difference.

const MONTH = '2011-05';
const ORDERS = 10;
const ITEMS = 100;
const QUANTITY = 9_999;
const UNIT_PRICE = 999_999_937;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.stop();
});

const exactTotal = BigInt(ORDERS * ITEMS * QUANTITY) * BigInt(UNIT_PRICE);
/** The huge orders' region: their slots (CHF/<region>, CHF/*) pass 2^53. */
const region = `exact-${Date.now()}`;
/** An ordinary sale of the same month, in a slot of its own. */
const SMALL = { currency: 'PLN', region: 'exact-small', quantity: 2, unitPriceMinor: 1_250 };

beforeAll(async () => {
  const admin = app.client('admin');
  const completed: { orderId: string; version: number }[] = [];
  for (let n = 0; n < ORDERS; n++) {
    const { orderId } = await admin.orders.place.mutate({
      customerId: 'c-exact',
      region,
      currency: 'CHF',
      items: Array.from({ length: ITEMS }, (_, i) => ({
        productId: `p-exact-${i}`,
        quantity: QUANTITY,
        unitPriceMinor: UNIT_PRICE,
      })),
      at: `${MONTH}-10T10:00:00Z`,
    });
    const done = await admin.orders.complete.mutate({ orderId, at: `${MONTH}-11T10:00:00Z` });
    completed.push({ orderId, version: done.version });
  }
  const small = await completeOrderIn(
    admin,
    MONTH,
    { productId: 'p-small', quantity: SMALL.quantity, unitPriceMinor: SMALL.unitPriceMinor },
    { currency: SMALL.currency, region: SMALL.region },
  );
  completed.push({ orderId: small.orderId, version: 2 });
  expect(exactTotal > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
  const alias = ordersAlias(config().ES_INDEX_PREFIX);
  for (const { orderId, version } of completed) {
    await waitFor('projected', async () =>
      (await readOrderDocument(app.connections.es, alias, orderId))?.version === version
        ? true
        : undefined,
    );
  }
  await app.connections.es.indices.refresh({ index: alias });
}, 180_000);

const reconcileDeps = () => ({
  ...app.connections,
  esPrefix: config().ES_INDEX_PREFIX,
  redisPrefix: config().REDIS_KEY_PREFIX,
  timeZone: config().REPORT_TIMEZONE,
});

describe('sums past 2^53 minor units', () => {
  it('the report fails loudly instead of rounding, and reconciliation shows the exact total', async () => {
    const err = await app
      .client('reader')
      .reports.monthly.query({ month: MONTH, currency: 'CHF', region })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCClientError);
    expect((err as TRPCClientError<AppRouter>).data?.code).toBe('UNPROCESSABLE_CONTENT');
    expect((err as Error).message).toMatch(/past 2\^53/);

    const result = await reconcileMonth(reconcileDeps(), MONTH);
    const totals = result.differences.find(
      (d) => d.slot === `CHF/${region}` && d.source === 'live' && d.what === 'totals',
    );
    expect(totals?.expected).toContain(`"totalSalesMinor":"${exactTotal}"`);
    expect(totals?.actual).toMatch(/past 2\^53/);
    // Each product stays below 2^53: its line reconciles exactly.
    expect(
      result.differences.filter((d) => d.slot === `CHF/${region}` && d.what.startsWith('product')),
    ).toEqual([]);
  }, 120_000);

  it('a rollup refuses the slots it cannot add exactly, loudly, and rolls up the rest: the run ends, and so does a re-rollup', async () => {
    const temporal = app.connections.temporal;
    const es = app.connections.es;
    const prefix = config().ES_INDEX_PREFIX;
    // Given an older rollup of a huge slot, from before its sales passed 2^53
    const hugeSlot = { month: MONTH, currency: 'CHF', region: null, view: 'restated' as const };
    const line = { productId: 'p-exact-0', orderCount: 1, totalQuantity: 1, totalSalesMinor: 9 };
    await writeRollup(
      es,
      prefix,
      {
        ...hugeSlot,
        totals: { orderCount: 1, totalQuantity: 1, totalSalesMinor: 9 },
        products: [{ ...line, avgUnitPriceMinor: 9 }],
      },
      await rollupBasis(es, prefix, hugeSlot),
      '2011-06-01T01:00:00.000Z',
    );
    // When the month is rolled up, as the schedule's run does
    const handle = await temporal.workflow.start<typeof monthlyRollupWorkflow>(
      'monthlyRollupWorkflow',
      {
        workflowId: `test-exact-rollup-${MONTH}-${Date.now()}`,
        taskQueue: taskQueue('commands'),
        args: [{ timeZone: config().REPORT_TIMEZONE, month: MONTH }],
      },
    );
    const summary = await endsWithin(handle, ROLLUP_BOUND_MS);

    // Then the run ended, naming the huge slots it refused in both views
    expect(summary.refused?.map((r) => `${r.slot} ${r.view}`).sort()).toEqual(
      ['CHF/*', `CHF/${region}`].flatMap((slot) => [`${slot} booked`, `${slot} restated`]).sort(),
    );
    // And the month's other slot is rolled up, while the refused ones have no rollup to serve
    const small = await readRollup(es, prefix, {
      month: MONTH,
      currency: SMALL.currency,
      region: SMALL.region,
    });
    expect(small?.totals).toEqual({ orderCount: 1, totalQuantity: 2, totalSalesMinor: 2_500 });
    expect(await readRollup(es, prefix, hugeSlot)).toBeNull();
    const leftover = await es.count({
      index: reportsIndexName(prefix),
      query: { bool: { filter: [{ term: { kind: 'product' } }, { term: { currency: 'CHF' } }] } },
    });
    expect(leftover.count).toBe(0);
    // And the refusal is loud: a metric for the alert, and reconcile says why
    const samples = parseSamples(await metricsRegistry.metrics());
    expect(sampleValue(samples, 'orders_rollup_refused_slots', { month: MONTH })).toBe(4);
    const result = await reconcileMonth(reconcileDeps(), MONTH);
    expect(result.notes.join('\n')).toContain(
      `CHF/${region} restated: not rolled up, its sums pass 2^53 minor units`,
    );
    expect(result.differences.filter((d) => d.what === 'rollup missing')).toEqual([]);

    // And a correction's re-rollup of the month ends too
    await requestRerollup(temporal, MONTH);
    const rerolled = await endsWithin<RollupSummary | null>(
      temporal.workflow.getHandle(prefixedId(rerollupWorkflowId(MONTH))),
      ROLLUP_BOUND_MS,
    );
    expect(rerolled?.refused).toHaveLength(4);
  }, 180_000);
});

/** Far beyond a rollup of this month (seconds); a rollup that retries forever never gets there. */
const ROLLUP_BOUND_MS = 60_000;

/** The workflow's result, or a failure naming what its pending activity keeps failing with. */
async function endsWithin<T = MonthlyRollupResult>(handle: WorkflowHandle, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  try {
    const outcome = await Promise.race([handle.result() as Promise<T>, late]);
    if (outcome !== 'late') return outcome;
    const pending = (await handle.describe()).raw.pendingActivities ?? [];
    const failures = pending.map(
      (a) => `${a.activityType?.name} attempt ${a.attempt}: ${a.lastFailure?.message}`,
    );
    await handle.terminate('did not end in time').catch(() => undefined);
    throw new Error(`${handle.workflowId} did not end within ${ms} ms: ${failures.join('; ')}`);
  } finally {
    clearTimeout(timer);
  }
}
