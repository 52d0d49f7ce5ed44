// A webhook subscriber through its states: delivering, failing (the batch retried), disabled
// once its schedule is spent, enabled by an operator (a signal), delivering again.
import { subscriberId } from '../../../temporal/subscribers';
import type { RecordingEnv } from '../record-env';
import { waitFor } from '../wait';
import { startReceiver } from '../webhook-receiver';
import { type Case, count, expectFact, placeOrder } from './case';

async function subscriberThroughItsStates(env: RecordingEnv) {
  const receiver = await startReceiver();
  try {
    const admin = env.app.client('admin');
    const sub = await admin.subscriptions.create.mutate({ url: receiver.url('history') });
    await receiver.control('history', { secrets: [sub.secret] });
    const delivered = async (n: number) =>
      waitFor(`${n} deliveries`, async () =>
        (await receiver.received('history')).filter((r) => r.answered === 204).length >= n
          ? true
          : undefined,
      );
    await placeOrder(env);
    await delivered(1);
    await receiver.control('history', { status: 500 });
    await placeOrder(env);
    await waitFor('disabled', async () =>
      (await admin.subscriptions.get.query({ id: sub.id })).state === 'disabled' ? true : undefined,
    );
    await receiver.control('history', { status: 204 });
    await admin.subscriptions.update.mutate({ id: sub.id, enabled: true });
    await delivered(2);
    // The tail running when the order arrived returns within a minute: its end is recorded.
    const handle = env.app.connections.temporal.workflow.getHandle(subscriberId(sub.id));
    await waitFor(
      'a tail after the enable completed',
      async () => {
        const history = await handle.fetchHistory();
        const completed = (history.events ?? []).filter(
          (e) => e.activityTaskCompletedEventAttributes,
        ).length;
        return completed >= 3 ? true : undefined;
      },
      90_000,
      1_000,
    );
    await admin.subscriptions.delete.mutate({ id: sub.id });
    await handle.result();
    return handle;
  } finally {
    await receiver.stop();
  }
}

export const SUBSCRIBER_CASES: Record<string, Case> = {
  'subscriber-states': {
    file: 'subscriber-states.json',
    run: subscriberThroughItsStates,
    check(facts) {
      expectFact(facts.workflowType === 'subscriberWorkflow', 'a subscriber', facts);
      expectFact(facts.activities.includes('tailSubscription'), 'a tail', facts);
      expectFact(
        facts.activities.includes('deliverSubscriptionBatch'),
        'the failing batch retried',
        facts,
      );
      expectFact(
        count(facts.signals, 'subscriptionChanged') >= 2,
        'the enable and the delete signalled',
        facts,
      );
    },
  },
};
