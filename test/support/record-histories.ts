// Records workflow histories for the replay test (test/histories/*.json), one file per case:
//   npm run record-histories -- [--force] [case...]
// With no case named, every case is recorded. A case whose file exists is refused (nothing
// is recorded) unless --force is given: re-record only on purpose. A workflow change meant
// to be incompatible ships with new workflow names or patches, and the old histories must
// still replay. The script's environment (package.json) keeps recordings apart from a
// running app: their own task queues, index and key prefixes; DATABASE_URL and REDIS_URL
// default to the test database and Redis db 1 when not set.
//
// It bundles the workflow code of the tree it runs in, so record from a clean checkout of
// the commit the histories are for (e.g. `git archive HEAD` into a folder, node_modules
// linked; set GIT_DIR to this repository's .git there: the
// rebuild-elasticsearch-before-batch-size-5000 case reads the pre-patch workflow from git).
//
// Each case runs real commands and workflows against the real stack, then checks that the
// history shows what the case is for (e.g. two loadOrder calls after a version conflict)
// before it writes the file.
import { randomUUID } from 'node:crypto';
import { access, writeFile } from 'node:fs/promises';
import { WithStartWorkflowOperation, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { payloadHash } from '../../api/command-hash';
import { config } from '../../config/env';
import { CURRENT_SCHEMA_VERSION, decide, fold, READ_MODELS } from '../../domain';
import { type BatchAppend, createPool, migrate } from '../../eventstore';
import { ordersAlias } from '../../projections/elasticsearch/names';
import { isMonthRolledUp } from '../../projections/elasticsearch/rollups';
import { readOrderDocument } from '../../projections/elasticsearch/write-orders';
import { createTemporalClient } from '../../temporal/client';
import { projectorWorkflowId } from '../../temporal/projectors';
import { requestRerollup } from '../../temporal/reports-client';
import { prefixedId, taskQueue } from '../../temporal/task-queues';
import type { commandPartitionWorkflow } from '../../workflows/command-partition';
import {
  type PartitionState,
  submitCommandUpdate,
} from '../../workflows/command-partition-contract';
import type { OrderCommandInput } from '../../workflows/order-command-contract';
import {
  orderCommandWorkflowId,
  orderStreamId,
  type ReadModel,
  retryProjectionSignal,
  skipProjectionSignal,
} from '../../workflows/order-command-contract';
import { parkedProjectionWorkflowId } from '../../workflows/parked-projection';
import { initialRebuildProgress } from '../../workflows/rebuild-read-model';
import { addMonths, monthIn } from '../../workflows/report-months';
import { type MonthlyRollupInput, rerollupWorkflowId } from '../../workflows/reports';
import { withBrokenOrdersAlias } from './broken-alias';
import { completeOrderIn } from './completed-orders';
import { type HistoryFacts, historyFacts } from './history-facts';
import { type RecordingEnv, startRecordingEnv } from './record-env';
import { waitFor } from './wait';

interface Case {
  file: string;
  /**
   * Runs the case; returns the workflow whose history is recorded, once it has finished
   * (or, for a workflow that never ends, once it has done what the case is for).
   */
  run(env: RecordingEnv): Promise<WorkflowHandle>;
  /** The workflow runs forever (a projector): record its history so far. */
  running?: boolean;
  /** What the history must show for the case to cover what it is named after. */
  check(facts: HistoryFacts): void;
}

const ITEM = { productId: 'p-1', quantity: 3, unitPriceMinor: 250 };
const BATCH_SIZE_5000 = 'rebuild-batch-size-5000';

function expectFact(ok: boolean, what: string, facts: HistoryFacts): void {
  if (!ok) throw new Error(`the history does not show ${what}: ${JSON.stringify(facts)}`);
}
const count = (list: string[], item: string) => list.filter((x) => x === item).length;

function commandHandle(env: RecordingEnv, commandId: string): WorkflowHandle {
  return env.app.connections.temporal.workflow.getHandle(orderCommandWorkflowId(commandId));
}

async function placeOrder(env: RecordingEnv, commandId = randomUUID()): Promise<string> {
  const { orderId } = await env.app.client('writer').orders.place.mutate({
    commandId,
    customerId: 'c-history',
    region: 'eu',
    currency: 'EUR',
    items: [ITEM],
  });
  return orderId;
}

/** The command alone: its event-store local activities, no read-side activity or patch. */
function commandOnly(facts: HistoryFacts): void {
  expectFact(facts.workflowType === 'orderCommandWorkflowV2', 'orderCommandWorkflowV2', facts);
  expectFact(facts.patches.length === 0, 'no patch marker', facts);
  expectFact(
    facts.activities.every((a) => a === 'loadOrder' || a === 'appendOrderEvents'),
    'only the event store activities',
    facts,
  );
}

/**
 * Places an order while the orders alias points at an index whose mapping rejects it, so
 * the projector parks it; restores the alias, then signals the parked workflow.
 */
async function parkedOrder(
  env: RecordingEnv,
  signal: typeof retryProjectionSignal | typeof skipProjectionSignal,
): Promise<WorkflowHandle> {
  const handle = await withBrokenOrdersAlias(
    env.app.connections.es,
    config().ES_INDEX_PREFIX,
    async () => {
      const orderId = await placeOrder(env);
      const parked = env.app.connections.temporal.workflow.getHandle(
        prefixedId(parkedProjectionWorkflowId('elasticsearch', orderId)),
      );
      await waitFor('the order parked', () => parked.describe().then(() => true), 60_000, 250);
      return parked;
    },
  );
  await handle.signal(signal);
  return handle;
}

/** A place command as the API builds it, for a partition workflow the case names. */
function placeCommand(): OrderCommandInput {
  const commandId = randomUUID();
  const body = { customerId: 'c-history', region: 'eu', currency: 'EUR', items: [ITEM] };
  return {
    commandId,
    payloadHash: payloadHash('orders.place', body),
    command: {
      type: 'PlaceOrder',
      orderId: `o-${commandId}`,
      ...body,
      at: new Date().toISOString(),
    },
    actor: 'writer:history',
    correlationId: randomUUID(),
  };
}

/** Sends commands to a partition workflow of the case's own (started with `state`). */
async function toPartition(
  env: RecordingEnv,
  workflowId: string,
  state: PartitionState,
  inputs: OrderCommandInput[],
): Promise<void> {
  await Promise.all(
    inputs.map((input) =>
      env.app.connections.temporal.workflow.executeUpdateWithStart(submitCommandUpdate, {
        args: [input],
        updateId: input.commandId,
        startWorkflowOperation: new WithStartWorkflowOperation<typeof commandPartitionWorkflow>(
          'commandPartitionWorkflow',
          {
            workflowId,
            taskQueue: taskQueue('commands'),
            args: [state],
            workflowIdConflictPolicy: 'USE_EXISTING',
          },
        ),
      }),
    ),
  );
}

function partitionCase(facts: HistoryFacts): void {
  expectFact(facts.workflowType === 'commandPartitionWorkflow', 'a command partition', facts);
  expectFact(facts.activities.includes('decideAndAppendBatch'), 'a batch', facts);
}

async function adminRebuild(env: RecordingEnv, readModel: ReadModel): Promise<WorkflowHandle> {
  const started = await env.app.client('admin').admin.projections.rebuild.mutate({ readModel });
  return env.app.connections.temporal.workflow.getHandle(started.workflowId);
}

/**
 * Tops the event store up to `atLeast` events with placed orders, in one batch append.
 * They reach the read models only through a rebuild, which is what they are for.
 */
async function ensureEvents(env: RecordingEnv, atLeast: number): Promise<void> {
  const { rows } = await env.app.connections.pool.query<{ n: string }>(
    'select count(*)::text as n from events',
  );
  const missing = atLeast - Number(rows[0]?.n ?? 0);
  if (missing <= 0) return;
  const at = new Date().toISOString();
  const batch: BatchAppend[] = [];
  for (let i = 0; i < missing; i++) {
    const commandId = randomUUID();
    const orderId = `o-${commandId}`;
    const command = { type: 'PlaceOrder' as const, orderId, customerId: 'c-seed', region: 'eu' };
    const decision = decide({ ...command, currency: 'EUR', items: [ITEM], at }, fold([]));
    if (!decision.ok) throw new Error(decision.error.message);
    batch.push({
      streamId: orderStreamId(orderId),
      expectedVersion: 0,
      events: decision.events.map((e) => ({
        type: e.type,
        schemaVersion: CURRENT_SCHEMA_VERSION[e.type],
        data: e.data,
      })),
      commandId,
      commandType: 'PlaceOrder',
      payloadHash: `seed-${commandId}`,
      metadata: {
        correlationId: commandId,
        causationId: commandId,
        actor: 'record-histories',
        occurredAt: at,
      },
    });
  }
  await env.store.appendBatch(batch);
}

async function startReportWorkflow(
  env: RecordingEnv,
  type: string,
  args: unknown[],
): Promise<WorkflowHandle> {
  return env.app.connections.temporal.workflow.start(type, {
    workflowId: prefixedId(`${type}-recorded-${randomUUID()}`),
    taskQueue: taskQueue('commands'),
    args,
  });
}

const currentMonth = () => monthIn(new Date(), config().REPORT_TIMEZONE);

/**
 * The latest `count` closed months before last month (the scheduled run's own) that were
 * never rolled up in this read model, within retention.
 */
async function monthsNeverRolledUp(env: RecordingEnv, count: number): Promise<string[]> {
  const found: string[] = [];
  for (let back = 2; found.length < count && back <= config().READ_MODEL_RETENTION_MONTHS; back++) {
    const month = addMonths(currentMonth(), -back);
    if (!(await isMonthRolledUp(env.app.connections.es, config().ES_INDEX_PREFIX, month)))
      found.push(month);
  }
  if (found.length < count)
    throw new Error('too few months left to catch up here: record into a fresh ES_INDEX_PREFIX');
  return found;
}

/**
 * Histories recorded by workflow code that is gone from the API's path (the command
 * workflow before the projectors, `orderCommandWorkflow` with per-command projections):
 * their files stay for the replay test, they cannot be recorded again.
 */
const FROZEN: Record<string, string> = {
  place: 'order-command-place-with-projections.json',
  complete: 'order-command-complete-with-projections.json',
  refund: 'order-command-refund-with-projections.json',
  'rejected-not-found': 'order-command-rejected-not-found-with-projections.json',
  cancel: 'order-command-cancel-with-projections.json',
  'redecide-after-conflict': 'order-command-redecide-after-conflict-with-projections.json',
  'retry-projection': 'order-command-retry-projection-with-projections.json',
  'skip-projection': 'order-command-skip-projection-with-projections.json',
};

const CASES: Record<string, Case> = {
  'rebuild-elasticsearch': {
    file: 'rebuild-read-model-elasticsearch.json',
    run: (env) => adminRebuild(env, 'elasticsearch'),
    check(facts) {
      expectFact(facts.patches.includes(BATCH_SIZE_5000), `the ${BATCH_SIZE_5000} marker`, facts);
      expectFact(facts.activities.includes('swapToRebuiltIndex'), 'the swap', facts);
    },
  },
  'rebuild-redis': {
    file: 'rebuild-read-model-redis.json',
    run: (env) => adminRebuild(env, 'redis'),
    check: (facts) =>
      expectFact(facts.activities.includes('clearRedisReadModel'), 'the clear', facts),
  },
  /**
   * The old side of rebuild-batch-size-5000: the pre-patch workflow over a store of more
   * than 2,000 but fewer than 5,000 events copies in two batches where the patched code
   * needs one, so replaying it with the patch taken would diverge.
   */
  'rebuild-elasticsearch-before-batch-size-5000': {
    file: 'rebuild-read-model-elasticsearch-before-batch-size-5000.json',
    async run(env) {
      await ensureEvents(env, 2_500);
      const queue = await env.startRebuildBeforeBatchSize5000();
      return env.app.connections.temporal.workflow.start('rebuildReadModelWorkflow', {
        workflowId: prefixedId(`rebuild-before-batch-size-5000-${randomUUID()}`),
        taskQueue: queue,
        args: [initialRebuildProgress('elasticsearch')],
      });
    },
    check(facts) {
      expectFact(facts.patches.length === 0, 'no patch marker', facts);
      const swap = facts.activities.indexOf('swapToRebuiltIndex');
      const copied = count(facts.activities.slice(0, swap), 'rebuildBatch');
      expectFact(copied >= 2, 'two batches before the swap', facts);
    },
  },
  'monthly-rollup': {
    file: 'monthly-rollup.json',
    // As schedules applied before the catch-up start it: no month (the one before the
    // scheduled time), no catch-up.
    run: (env) =>
      startReportWorkflow(env, 'monthlyRollupWorkflow', [{ timeZone: config().REPORT_TIMEZONE }]),
    check: (facts) => expectFact(facts.activities.includes('rollupMonth'), 'the rollup', facts),
  },
  /**
   * The old side of the rollup-catch-up patch: the schedule's run with the input the
   * schedule passes since (catch-up on), as the workflow code before the patch ran it (the
   * scheduled month alone). Recorded at the commit before the patch; re-recorded with
   * later code its check fails.
   */
  'monthly-rollup-before-catch-up': {
    file: 'monthly-rollup-before-catch-up.json',
    run: (env) =>
      startReportWorkflow(env, 'monthlyRollupWorkflow', [
        {
          timeZone: config().REPORT_TIMEZONE,
          catchUp: { retentionMonths: config().READ_MODEL_RETENTION_MONTHS },
        },
      ]),
    check: (facts) =>
      expectFact(
        facts.patches.length === 0 && facts.activities.join() === 'rollupMonth',
        'the scheduled month rolled up alone, no patch marker',
        facts,
      ),
  },
  /**
   * The schedule's run catching up two closed months never rolled up (orders completed in
   * them with `at`), one per run: it rolls up the first and continues as new.
   */
  'monthly-rollup-catch-up': {
    file: 'monthly-rollup-catch-up.json',
    async run(env) {
      for (const month of await monthsNeverRolledUp(env, 2)) {
        const order = await completeOrderIn(env.app.client('admin'), month, ITEM);
        await waitFor('the back-dated order projected', async () =>
          (
            await readOrderDocument(
              env.app.connections.es,
              ordersAlias(config().ES_INDEX_PREFIX),
              order.orderId,
            )
          )?.status === 'completed'
            ? true
            : undefined,
        );
      }
      await env.app.connections.es.indices.refresh({
        index: ordersAlias(config().ES_INDEX_PREFIX),
      });
      const input: MonthlyRollupInput = {
        timeZone: config().REPORT_TIMEZONE,
        catchUp: { retentionMonths: config().READ_MODEL_RETENTION_MONTHS, monthsPerRun: 1 },
      };
      const started = await env.app.connections.temporal.workflow.start('monthlyRollupWorkflow', {
        workflowId: prefixedId(`monthlyRollupWorkflow-recorded-${randomUUID()}`),
        taskQueue: taskQueue('commands'),
        args: [input],
      });
      // The first run, the one that continues as new (its result follows the chain).
      return env.app.connections.temporal.workflow.getHandle(
        started.workflowId,
        started.firstExecutionRunId,
      );
    },
    check(facts) {
      expectFact(facts.patches.includes('rollup-catch-up'), 'the rollup-catch-up marker', facts);
      expectFact(
        facts.activities.join() === 'rollupMonth,monthsToCatchUp,rollupMonth',
        'the scheduled month, the search, one caught-up month',
        facts,
      );
      expectFact(facts.continuedAsNew, 'a continue-as-new for the second month', facts);
    },
  },
  /** Two corrections within the quiet time: one debounced rollup. */
  rerollup: {
    file: 'rerollup-month.json',
    async run(env) {
      const temporal = env.app.connections.temporal;
      const month = currentMonth();
      await requestRerollup(temporal, month);
      await new Promise((resolve) => setTimeout(resolve, 500));
      await requestRerollup(temporal, month);
      return temporal.workflow.getHandle(prefixedId(rerollupWorkflowId(month)));
    },
    check: (facts) =>
      expectFact(count(facts.signals, 'monthDirty') >= 2, 'two monthDirty signals', facts),
  },
  retention: {
    file: 'retention.json',
    run: (env) =>
      startReportWorkflow(env, 'retentionWorkflow', [
        { months: config().READ_MODEL_RETENTION_MONTHS, timeZone: config().REPORT_TIMEZONE },
      ]),
    check: (facts) => expectFact(facts.activities.includes('applyRetention'), 'the purge', facts),
  },
  reconcile: {
    file: 'reconcile-month.json',
    run: (env) => startReportWorkflow(env, 'reconcileMonthWorkflow', [{ month: currentMonth() }]),
    check: (facts) => expectFact(facts.activities.includes('reconcile'), 'the reconcile', facts),
  },
  'v2-place': {
    file: 'order-command-v2-place.json',
    async run(env) {
      const commandId = randomUUID();
      await placeOrder(env, commandId);
      return commandHandle(env, commandId);
    },
    check: commandOnly,
  },
  'v2-complete': {
    file: 'order-command-v2-complete.json',
    async run(env) {
      const orderId = await placeOrder(env);
      const commandId = randomUUID();
      await env.app.client('writer').orders.complete.mutate({ commandId, orderId });
      return commandHandle(env, commandId);
    },
    check: commandOnly,
  },
  'v2-refund': {
    file: 'order-command-v2-refund.json',
    async run(env) {
      const writer = env.app.client('writer');
      const orderId = await placeOrder(env);
      await writer.orders.complete.mutate({ orderId });
      const commandId = randomUUID();
      await writer.orders.refund.mutate({ commandId, orderId, reason: 'damaged' });
      return commandHandle(env, commandId);
    },
    check: commandOnly,
  },
  'v2-cancel': {
    file: 'order-command-v2-cancel.json',
    async run(env) {
      const orderId = await placeOrder(env);
      const commandId = randomUUID();
      await env.app
        .client('writer')
        .orders.cancel.mutate({ commandId, orderId, reason: 'customer changed their mind' });
      return commandHandle(env, commandId);
    },
    check: commandOnly,
  },
  'v2-rejected-not-found': {
    file: 'order-command-v2-rejected-not-found.json',
    async run(env) {
      const commandId = randomUUID();
      await env.app
        .client('writer')
        .orders.complete.mutate({ commandId, orderId: 'missing-order' })
        .then(
          () => Promise.reject(new Error('completing a missing order was accepted')),
          () => undefined,
        );
      return commandHandle(env, commandId);
    },
    check: commandOnly,
  },
  /** A complete whose order is cancelled between its load and its append: it re-decides. */
  'v2-redecide-after-conflict': {
    file: 'order-command-v2-redecide-after-conflict.json',
    async run(env) {
      const writer = env.app.client('writer');
      const orderId = await placeOrder(env);
      const commandId = randomUUID();
      env.competeAfterFirstLoad(commandId, () =>
        writer.orders.cancel.mutate({ orderId, reason: 'cancelled meanwhile' }),
      );
      const refusal = await writer.orders.complete.mutate({ commandId, orderId }).then(
        () => Promise.reject(new Error('the complete won over the concurrent cancel')),
        (err: Error) => err,
      );
      if (!/cancelled/.test(refusal.message)) throw refusal;
      return commandHandle(env, commandId);
    },
    check(facts) {
      commandOnly(facts);
      expectFact(count(facts.activities, 'loadOrder') === 2, 'two loads', facts);
    },
  },
  /** Five commands sent at once to one partition: decided and appended in batches. */
  'partition-batch': {
    file: 'command-partition-batch.json',
    running: true,
    async run(env) {
      const workflowId = prefixedId(`record-partition-batch-${randomUUID()}`);
      await toPartition(env, workflowId, { partition: 0, handledTotal: 0 }, [
        placeCommand(),
        placeCommand(),
        placeCommand(),
        placeCommand(),
        placeCommand(),
      ]);
      return env.app.connections.temporal.workflow.getHandle(workflowId);
    },
    check: partitionCase,
  },
  /** A run that answers 3 updates, then drains and continues as new. */
  'partition-continue-as-new': {
    file: 'command-partition-continue-as-new.json',
    running: true,
    async run(env) {
      const workflowId = prefixedId(`record-partition-can-${randomUUID()}`);
      const state = { partition: 0, handledTotal: 0, updatesPerRun: 3 };
      const temporal = env.app.connections.temporal;
      await toPartition(env, workflowId, state, [placeCommand()]);
      const { runId } = await temporal.workflow.getHandle(workflowId).describe();
      for (let i = 0; i < 3; i++) await toPartition(env, workflowId, state, [placeCommand()]);
      const first = temporal.workflow.getHandle(workflowId, runId, { followRuns: false });
      await waitFor('the first run continued as new', async () =>
        (await first.describe()).status.name === 'CONTINUED_AS_NEW' ? true : undefined,
      );
      return first;
    },
    check(facts) {
      partitionCase(facts);
      expectFact(facts.continuedAsNew, 'continue-as-new', facts);
    },
  },
  /** A batch whose event store stays unreachable through the local activity's retries. */
  'partition-stuck': {
    file: 'command-partition-stuck.json',
    running: true,
    async run(env) {
      const workflowId = prefixedId(`record-partition-stuck-${randomUUID()}`);
      env.failNextBatches(8);
      await toPartition(env, workflowId, { partition: 0, handledTotal: 0 }, [placeCommand()]);
      return env.app.connections.temporal.workflow.getHandle(workflowId);
    },
    check(facts) {
      partitionCase(facts);
      expectFact(
        count(facts.activities, 'decideAndAppendBatch') >= 2,
        'a batch tried again',
        facts,
      );
    },
  },
  /**
   * The Elasticsearch projector, once its first tailing activity (which projected a placed
   * and a completed order) has returned.
   */
  'projector-elasticsearch': {
    file: 'projector-elasticsearch.json',
    running: true,
    async run(env) {
      const orderId = await placeOrder(env);
      const done = await env.app.client('writer').orders.complete.mutate({ orderId });
      const alias = ordersAlias(config().ES_INDEX_PREFIX);
      await waitFor(
        'the completion projected',
        async () =>
          (await readOrderDocument(env.app.connections.es, alias, orderId))?.version ===
          done.version
            ? true
            : undefined,
        60_000,
        100,
      );
      const projector = env.app.connections.temporal.workflow.getHandle(
        projectorWorkflowId('elasticsearch'),
      );
      // A tailing activity returns after a minute: record the loop's second turn too.
      await waitFor(
        'a tailing activity completed',
        async () =>
          (await projector.fetchHistory()).events?.some(
            (e) => e.activityTaskCompletedEventAttributes,
          )
            ? true
            : undefined,
        150_000,
        1_000,
      );
      return projector;
    },
    check(facts) {
      expectFact(facts.workflowType === 'projectorWorkflow', 'the projector', facts);
      expectFact(facts.activities.includes('tailEvents'), 'a tailing activity', facts);
    },
  },
  'parked-retry': {
    file: 'parked-projection-retry.json',
    run: (env) => parkedOrder(env, retryProjectionSignal),
    check(facts) {
      expectFact(facts.workflowType === 'parkedProjectionWorkflow', 'a parked order', facts);
      expectFact(facts.signals.includes(retryProjectionSignal.name), 'the retry signal', facts);
      expectFact(facts.activities.includes('projectOrder'), 'the retried projection', facts);
    },
  },
  'parked-skip': {
    file: 'parked-projection-skip.json',
    run: (env) => parkedOrder(env, skipProjectionSignal),
    check(facts) {
      expectFact(facts.workflowType === 'parkedProjectionWorkflow', 'a parked order', facts);
      expectFact(facts.signals.includes(skipProjectionSignal.name), 'the skip signal', facts);
    },
  },
};

const HISTORIES = new URL('../histories/', import.meta.url);

/**
 * The recorder's task queues are fixed: projectors of an earlier recording would still be
 * running (with long histories and another database's checkpoint). Start them afresh.
 */
async function freshProjectors(): Promise<void> {
  const pool = createPool(config().DATABASE_URL, 1);
  const temporal = await createTemporalClient();
  try {
    for (const readModel of READ_MODELS) {
      const id = projectorWorkflowId(readModel);
      await temporal.workflow
        .getHandle(id)
        .terminate('a new recording starts')
        .catch(() => undefined);
      await pool.query('delete from projection_checkpoints where projector = $1', [id]);
    }
  } finally {
    await temporal.connection.close();
    await pool.end();
  }
}

async function exists(url: URL): Promise<boolean> {
  return access(url).then(
    () => true,
    () => false,
  );
}

const args = process.argv.slice(2);
const force = args.includes('--force');
const names = args.filter((a) => a !== '--force');
const frozen = names.filter((n) => n in FROZEN);
if (frozen.length > 0) {
  console.error(
    `cannot re-record ${frozen.join(', ')}: recorded by orderCommandWorkflow with per-command projections, which the API no longer starts`,
  );
  process.exit(2);
}
const unknown = names.filter((n) => !(n in CASES));
if (unknown.length > 0) {
  console.error(`unknown case(s): ${unknown.join(', ')}; cases: ${Object.keys(CASES).join(', ')}`);
  process.exit(2);
}
const selected = names.length > 0 ? names : Object.keys(CASES);
if (!force) {
  const taken: string[] = [];
  for (const name of selected) {
    const file = CASES[name]?.file ?? '';
    if (await exists(new URL(file, HISTORIES))) taken.push(`${name} (${file})`);
  }
  if (taken.length > 0) {
    console.error(`refusing to overwrite: ${taken.join(', ')}; pass --force to re-record`);
    process.exit(1);
  }
}

const migrationPool = createPool(config().DATABASE_URL, 1);
await migrate(migrationPool).finally(() => migrationPool.end());
await freshProjectors();
const env = await startRecordingEnv();
try {
  for (const name of selected) {
    const recordCase = CASES[name];
    if (!recordCase) continue;
    const handle = await recordCase.run(env);
    if (!recordCase.running) await handle.result();
    const json = historyToJSON(await handle.fetchHistory());
    recordCase.check(historyFacts(json));
    await writeFile(new URL(recordCase.file, HISTORIES), json, { flag: force ? 'w' : 'wx' });
    console.log(`recorded ${name}: test/histories/${recordCase.file}`);
  }
} finally {
  await env.stop();
  // The projectors never end by themselves: leave none running for the next recording.
  await freshProjectors();
}
