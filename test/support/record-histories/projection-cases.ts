// Cases of the read side: the Elasticsearch projector while it tails, and an order parked
// by its projection, then retried or skipped by a signal.
import type { WorkflowHandle } from '@temporalio/client';
import { config } from '../../../config/env';
import {
  parkedProjectionWorkflowId,
  retryProjectionSignal,
  skipProjectionSignal,
} from '../../../contracts/projection-controls';
import { ordersAlias, readOrderDocument } from '../../../projections/elasticsearch';
import { projectorWorkflowId } from '../../../temporal/projectors';
import { prefixedId } from '../../../temporal/task-queues';
import { withBrokenOrdersAlias } from '../broken-alias';
import type { HistoryFacts } from '../history-facts';
import type { RecordingEnv } from '../record-env';
import { waitFor } from '../wait';
import { type Case, expectFact, placeOrder } from './case';

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

/** An order parked, then signalled: the history must show the parking and the signal. */
function parkedCase(
  file: string,
  signal: typeof retryProjectionSignal | typeof skipProjectionSignal,
  what: string,
  alsoCheck?: (facts: HistoryFacts) => void,
): Case {
  return {
    file,
    run: (env) => parkedOrder(env, signal),
    check(facts) {
      expectFact(facts.workflowType === 'parkedProjectionWorkflow', 'a parked order', facts);
      expectFact(facts.signals.includes(signal.name), `the ${what} signal`, facts);
      alsoCheck?.(facts);
    },
  };
}

export const PROJECTION_CASES: Record<string, Case> = {
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
  'parked-retry': parkedCase(
    'parked-projection-retry.json',
    retryProjectionSignal,
    'retry',
    (facts) =>
      expectFact(facts.activities.includes('projectOrder'), 'the retried projection', facts),
  ),
  'parked-skip': parkedCase('parked-projection-skip.json', skipProjectionSignal, 'skip'),
};
