// Cases of orderCommandWorkflowV2, one per kind of command (and a refused one, and a
// re-decision after a version conflict): the command alone, no read-side activity.
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { OrdersClient } from '../../../api/client';
import { orderCommandWorkflowId } from '../../../contracts/order-commands';
import type { HistoryFacts } from '../history-facts';
import type { RecordingEnv } from '../record-env';
import { type Case, count, expectFact, placeOrder } from './case';

function commandHandle(env: RecordingEnv, commandId: string): WorkflowHandle {
  return env.app.connections.temporal.workflow.getHandle(orderCommandWorkflowId(commandId));
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

/** A command, with its own id, on an order placed just before. */
function commandOnPlacedOrder(
  file: string,
  send: (writer: OrdersClient, orderId: string, commandId: string) => Promise<unknown>,
): Case {
  return {
    file,
    async run(env) {
      const orderId = await placeOrder(env);
      const commandId = randomUUID();
      await send(env.app.client('writer'), orderId, commandId);
      return commandHandle(env, commandId);
    },
    check: commandOnly,
  };
}

export const COMMAND_CASES: Record<string, Case> = {
  'v2-place': {
    file: 'order-command-v2-place.json',
    async run(env) {
      const commandId = randomUUID();
      await placeOrder(env, commandId);
      return commandHandle(env, commandId);
    },
    check: commandOnly,
  },
  'v2-complete': commandOnPlacedOrder(
    'order-command-v2-complete.json',
    (writer, orderId, commandId) => writer.orders.complete.mutate({ commandId, orderId }),
  ),
  'v2-refund': commandOnPlacedOrder(
    'order-command-v2-refund.json',
    async (writer, orderId, commandId) => {
      await writer.orders.complete.mutate({ orderId });
      await writer.orders.refund.mutate({ commandId, orderId, reason: 'damaged' });
    },
  ),
  'v2-cancel': commandOnPlacedOrder('order-command-v2-cancel.json', (writer, orderId, commandId) =>
    writer.orders.cancel.mutate({ commandId, orderId, reason: 'customer changed their mind' }),
  ),
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
};
