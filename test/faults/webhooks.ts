import { webhookMessageId } from '../../domain/webhook-payload';
import type { GlobalCheckpoint } from '../../eventstore';
import type { TestApp } from '../support/app';
import { waitFor } from '../support/wait';
import { firstArrivals, outOfOrder, type Receiver } from '../support/webhook-receiver';

// What the webhook fault case checks: attempts refused while the receiver was down, and
// afterwards every event since the subscription began at the receiver.

/** Delivery attempts the receiver's absence refused (connection refused) between two times. */
export async function refusedBetween(
  app: TestApp,
  subscriptionId: string,
  from: number,
  to: number,
): Promise<number> {
  const { rows } = await app.connections.pool.query<{ n: number }>(
    `select count(*)::int as n from subscription_deliveries
     where subscription_id = $1 and outcome = 'failed' and error like '%ECONNREFUSED%'
       and attempted_at between $2 and $3`,
    [subscriptionId, new Date(from), new Date(to)],
  );
  return rows[0]?.n ?? 0;
}

/**
 * Waits until every event after `start` has arrived at `hook`, then requires: each verified
 * with the subscription's secret, each order's in version order, nothing else received
 * (a repeat carries an id already sent). Returns how many arrived and how many were repeats.
 */
export async function assertAllDelivered(
  app: TestApp,
  receiver: Receiver,
  hook: string,
  subscriptionId: string,
  start: GlobalCheckpoint,
): Promise<{ events: number; repeats: number }> {
  const { rows } = await app.connections.pool.query<{ event_id: string }>(
    `select event_id from events
     where (transaction_id, global_position) > ($1::xid8, $2::bigint)`,
    [start.transactionId, start.position],
  );
  const expected = new Set(rows.map((r) => webhookMessageId(subscriptionId, r.event_id)));
  if (expected.size === 0) throw new Error('no event since the subscription began');
  const missing = await waitFor(
    `${expected.size} events at /${hook}`,
    async () => {
      const got = new Set(firstArrivals(await receiver.received(hook)).map((r) => r.id));
      const left = [...expected].filter((id) => !got.has(id));
      return left.length === 0 ? left : undefined;
    },
    180_000,
    1_000,
  ).catch((err: Error) => err.message);
  if (typeof missing === 'string') throw new Error(missing);
  const raw = await receiver.received(hook);
  const unexpected = raw.filter((r) => !expected.has(r.id));
  const unverified = raw.filter((r) => r.verifiedWith[0] !== 0);
  const disordered = outOfOrder(raw);
  if (unexpected.length + unverified.length + disordered.length > 0) {
    throw new Error(
      `unexpected ${unexpected.length}, unverified ${unverified.length}, out of order ${disordered.join(', ')}`,
    );
  }
  return { events: expected.size, repeats: raw.length - expected.size };
}
