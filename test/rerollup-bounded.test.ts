import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReportActivities, type RollupSummary } from '../activities/report-activities';
import { config } from '../config/env';
import { ensureOrdersIndex, ensureReportsIndex } from '../projections/elasticsearch';
import { type Connections, openConnections } from '../temporal/connections';
import { prefixedId } from '../temporal/task-queues';
import { workflowBundle } from '../temporal/worker';
import { monthDirtySignal, type rerollupMonthWorkflow } from '../workflows/reports';
import { waitFor } from './support/wait';

// A month's re-rollup under corrections that keep coming: after `rollupsPerRun` rollups
// the run continues as new, so its history stays bounded; nothing signalled is dropped.
// The real workflow and rollup activity, on queues of their own, with the rollup held
// until the test lets it go, so a correction lands while it runs.

const QUEUE = prefixedId('rerollup-held-commands');
const MONTH = '2019-07';

let connections: Connections;
let workers: Worker[] = [];
let running: Promise<void>[] = [];
const entered: (() => void)[] = [];
let release: (() => void) | undefined;
let rollups = 0;

beforeAll(async () => {
  connections = await openConnections();
  await ensureOrdersIndex(connections.es, config().ES_INDEX_PREFIX);
  await ensureReportsIndex(connections.es, config().ES_INDEX_PREFIX);
  const real = createReportActivities({
    ...connections,
    esPrefix: config().ES_INDEX_PREFIX,
    redisPrefix: config().REDIS_KEY_PREFIX,
    reportTimeZone: config().REPORT_TIMEZONE,
  });
  const connection = await NativeConnection.connect({ address: config().TEMPORAL_ADDRESS });
  workers = [
    await Worker.create({
      connection,
      namespace: config().TEMPORAL_NAMESPACE,
      taskQueue: QUEUE,
      workflowBundle: await workflowBundle(),
    }),
    await Worker.create({
      connection,
      namespace: config().TEMPORAL_NAMESPACE,
      taskQueue: QUEUE.replace(/commands$/, 'projections'),
      activities: {
        async rollupMonth(input: { month: string }): Promise<RollupSummary> {
          rollups++;
          const held = new Promise<void>((resolve) => {
            release = resolve;
          });
          entered.shift()?.();
          await held;
          return real.rollupMonth(input);
        },
      },
    }),
  ];
  running = workers.map((w) => w.run());
});
afterAll(async () => {
  release?.();
  for (const w of workers) w.shutdown();
  await Promise.all(running);
  await connections?.close();
});

const rollupStarted = () => new Promise<void>((resolve) => entered.push(resolve));

describe('re-rollup under a steady stream of corrections', () => {
  it('continues as new after its rollups per run, and the next run rolls up what came meanwhile', async () => {
    const temporal = connections.temporal;
    const workflowId = prefixedId(`rerollup-bounded-${Date.now()}`);
    const first = rollupStarted();
    const handle = await temporal.workflow.signalWithStart<typeof rerollupMonthWorkflow>(
      'rerollupMonthWorkflow',
      {
        workflowId,
        taskQueue: QUEUE,
        args: [{ month: MONTH, rollupsPerRun: 1 }],
        signal: monthDirtySignal,
        signalArgs: [],
      },
    );
    const { runId } = await handle.describe();
    await first;
    // A correction while the rollup runs: the month is dirty again when it returns.
    await handle.signal(monthDirtySignal);
    const second = rollupStarted();
    release?.();
    await second;
    release?.();
    const summary = await handle.result();
    expect(summary).toMatchObject({ month: MONTH });
    expect(rollups).toBe(2);
    const firstRun = temporal.workflow.getHandle(workflowId, runId, { followRuns: false });
    expect((await firstRun.describe()).status.name).toBe('CONTINUED_AS_NEW');
    const runs = await waitFor('both runs listed', async () => {
      const listed = [];
      for await (const wf of temporal.workflow.list({ query: `WorkflowId = '${workflowId}'` }))
        listed.push(wf);
      return listed.length === 2 ? listed : undefined;
    });
    expect(runs.map((r) => r.status.name).sort()).toEqual(['COMPLETED', 'CONTINUED_AS_NEW']);
  }, 60_000);
});
