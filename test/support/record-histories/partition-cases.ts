// Cases of commandPartitionWorkflow: a batch of commands, a run that continues as new, a
// batch whose event store stays unreachable (for a while, and for longer than a run's
// bound), and a command PostgreSQL refuses for good. The partitions are the case's own.
import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { payloadHash } from '../../../api/command-hash';
import type { PartitionState } from '../../../contracts/command-partitions';
import type { OrderCommandInput } from '../../../contracts/order-commands';
import { prefixedId } from '../../../temporal/task-queues';
import type { HistoryFacts } from '../history-facts';
import { sendArray, sendOne } from '../partition-updates';
import type { RecordingEnv } from '../record-env';
import { waitFor } from '../wait';
import { type Case, count, expectFact, ITEM } from './case';

/** A place command as the API builds it, for a partition workflow the case names. */
function placeCommand(customerId = 'c-history'): OrderCommandInput {
  const commandId = randomUUID();
  const body = { customerId, region: 'eu', currency: 'EUR', items: [ITEM] };
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
  const client = env.app.connections.temporal;
  await Promise.all(inputs.map((input) => sendOne(client, workflowId, state, input)));
}

/** Sends arrays of commands at once, the way API processes coalesce them since issue 26. */
async function arraysToPartition(
  env: RecordingEnv,
  workflowId: string,
  state: PartitionState,
  arrays: OrderCommandInput[][],
) {
  const client = env.app.connections.temporal;
  return Promise.all(arrays.map((inputs) => sendArray(client, workflowId, state, inputs)));
}

/**
 * Sends arrays of `perArray` commands one after another until the partition's first run has
 * continued as new (its budget passed); that run's handle.
 */
async function untilContinuedAsNew(
  env: RecordingEnv,
  workflowId: string,
  state: PartitionState,
  perArray: number,
) {
  const temporal = env.app.connections.temporal;
  const array = () => Array.from({ length: perArray }, () => placeCommand());
  await arraysToPartition(env, workflowId, state, [array()]);
  const { runId } = await temporal.workflow.getHandle(workflowId).describe();
  const first = temporal.workflow.getHandle(workflowId, runId, { followRuns: false });
  for (let i = 0; i < 20; i++) {
    if ((await first.describe()).status.name === 'CONTINUED_AS_NEW') break;
    await arraysToPartition(env, workflowId, state, [array()]).catch(
      () => undefined, // refused while the run drains: the next run has it
    );
  }
  await waitFor('the first run continued as new', async () =>
    (await first.describe()).status.name === 'CONTINUED_AS_NEW' ? true : undefined,
  );
  return first;
}

/** Runs `work` while PostgreSQL refuses (SQLSTATE 23514) every event of `customerId`. */
async function whileStoreRefuses<T>(
  env: RecordingEnv,
  customerId: string,
  work: () => Promise<T>,
): Promise<T> {
  const pool = env.app.connections.pool;
  await pool.query(`
    create or replace function record_refuse_customer() returns trigger language plpgsql as $$
    begin
      if new.data->>'customerId' = '${customerId}' then
        raise exception 'customer % is closed', new.data->>'customerId' using errcode = '23514';
      end if;
      return new;
    end $$`);
  await pool.query(
    'create trigger record_refuse_customer before insert on events for each row execute function record_refuse_customer()',
  );
  try {
    return await work();
  } finally {
    await pool.query('drop trigger if exists record_refuse_customer on events');
    await pool.query('drop function if exists record_refuse_customer()');
  }
}

function partitionCase(facts: HistoryFacts): void {
  expectFact(facts.workflowType === 'commandPartitionWorkflow', 'a command partition', facts);
  expectFact(facts.activities.includes('decideAndAppendBatch'), 'a batch', facts);
}

export const PARTITION_CASES: Record<string, Case> = {
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
  /**
   * Commands coalesced into arrays (two arrays at once, one holding a command id twice and a
   * refusal), beside a single-command update as a run in flight at the upgrade gets them.
   */
  'partition-arrays': {
    file: 'command-partition-arrays.json',
    running: true,
    async run(env) {
      const workflowId = prefixedId(`record-partition-arrays-${randomUUID()}`);
      const state = { partition: 0, handledTotal: 0, updatesPerRun: 250, stuckRetriesPerRun: 120 };
      const twice = placeCommand();
      const missing = `o-${randomUUID()}`;
      const [first] = await arraysToPartition(env, workflowId, state, [
        [twice, twice, placeCommand()],
        [
          placeCommand(),
          {
            ...placeCommand(),
            command: { type: 'CompleteOrder', orderId: missing, at: new Date().toISOString() },
          },
          placeCommand(),
        ],
      ]);
      if (!first?.[1] || JSON.stringify(first[0]) !== JSON.stringify(first[1])) {
        throw new Error(`the repeated command id was not answered alike: ${JSON.stringify(first)}`);
      }
      await toPartition(env, workflowId, state, [placeCommand()]);
      return env.app.connections.temporal.workflow.getHandle(workflowId);
    },
    check(facts) {
      partitionCase(facts);
      expectFact(count(facts.updates, 'submitCommands') === 2, 'two arrays', facts);
      expectFact(count(facts.updates, 'submitCommand') === 1, 'a single-command update', facts);
    },
  },
  /** A run of arrays started with a budget of history bytes: it continues as new past it. */
  'partition-bytes-continue-as-new': {
    file: 'command-partition-bytes-continue-as-new.json',
    running: true,
    async run(env) {
      const workflowId = prefixedId(`record-partition-bytes-${randomUUID()}`);
      const state = {
        partition: 0,
        handledTotal: 0,
        updatesPerRun: 250,
        stuckRetriesPerRun: 120,
        historyBytesPerRun: 8_000,
      };
      return untilContinuedAsNew(env, workflowId, state, 2);
    },
    check(facts) {
      partitionCase(facts);
      expectFact(facts.continuedAsNew, 'continue-as-new', facts);
      expectFact(
        facts.updates.every((u) => u === 'submitCommands'),
        'arrays only',
        facts,
      );
    },
  },
  /** A run of arrays started with a cap of history events: it continues as new past it. */
  'partition-events-continue-as-new': {
    file: 'command-partition-events-continue-as-new.json',
    running: true,
    async run(env) {
      const workflowId = prefixedId(`record-partition-events-${randomUUID()}`);
      const state = {
        partition: 0,
        handledTotal: 0,
        updatesPerRun: 250,
        stuckRetriesPerRun: 120,
        historyBytesPerRun: 2 * 1024 * 1024,
        historyEventsPerRun: 20,
      };
      return untilContinuedAsNew(env, workflowId, state, 1);
    },
    check(facts) {
      partitionCase(facts);
      expectFact(facts.continuedAsNew, 'continue-as-new', facts);
      // ~6 events per one-command update: far from 2 MiB or 250 updates, past 20 events.
      expectFact(facts.updates.length <= 5, 'continued as new by its events', facts);
    },
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
   * A batch of two whose one command PostgreSQL refuses for good (SQLSTATE 23514): that one
   * is refused (CommandUnprocessable), the other stored by a second batch.
   */
  'partition-refused': {
    file: 'command-partition-refused.json',
    running: true,
    async run(env) {
      const workflowId = prefixedId(`record-partition-refused-${randomUUID()}`);
      const state = { partition: 0, handledTotal: 0, updatesPerRun: 250, stuckRetriesPerRun: 120 };
      const outcomes = await whileStoreRefuses(env, 'c-history-refused', () =>
        Promise.allSettled(
          [placeCommand('c-history-refused'), placeCommand()].map((input) =>
            toPartition(env, workflowId, state, [input]),
          ),
        ),
      );
      const [refused, stored] = outcomes;
      if (
        !(refused?.status === 'rejected' && refused.reason instanceof WorkflowUpdateFailedError)
      ) {
        throw new Error(`the refused command was not refused: ${JSON.stringify(refused)}`);
      }
      if (stored?.status !== 'fulfilled')
        throw new Error(`the other command failed: ${stored?.reason}`);
      return env.app.connections.temporal.workflow.getHandle(workflowId);
    },
    check(facts) {
      partitionCase(facts);
      expectFact(
        count(facts.activities, 'decideAndAppendBatch') >= 2,
        'the batch tried again without the refused command',
        facts,
      );
    },
  },
  /** A run whose store stays unreachable for its bound of 2 failed attempts: it continues as new. */
  'partition-stuck-continue-as-new': {
    file: 'command-partition-stuck-continue-as-new.json',
    running: true,
    async run(env) {
      const workflowId = prefixedId(`record-partition-stuck-can-${randomUUID()}`);
      const state = { partition: 0, handledTotal: 0, updatesPerRun: 250, stuckRetriesPerRun: 2 };
      // Two failed executions of the local activity, each through its 8 attempts.
      env.failNextBatches(16);
      const temporal = env.app.connections.temporal;
      const answered = toPartition(env, workflowId, state, [placeCommand()]).catch(
        (err: unknown) => err,
      );
      const { runId } = await waitFor('the partition to start', () =>
        temporal.workflow.getHandle(workflowId).describe(),
      );
      const first = temporal.workflow.getHandle(workflowId, runId, { followRuns: false });
      await waitFor(
        'the stuck run continued as new',
        async () =>
          (await first.describe()).status.name === 'CONTINUED_AS_NEW' ? true : undefined,
        60_000,
      );
      await answered;
      return first;
    },
    check(facts) {
      partitionCase(facts);
      expectFact(facts.continuedAsNew, 'continue-as-new', facts);
      expectFact(
        count(facts.activities, 'decideAndAppendBatch') === 2,
        'two failed batches',
        facts,
      );
    },
  },
};
