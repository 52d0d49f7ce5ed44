import { randomUUID } from 'node:crypto';
import { newEvents } from '../../activities/command-events';
import { decide } from '../../domain';

// An order placed straight into the event store, as the command path would append it: for
// tests of what reads the store (projectors, positions, shared pages), not of the commands.
// `tag` names the file's customer, product, payload hash and actor.

/** The events of placing `orderId` (one item of 1.00 EUR). */
export function placedEvents(orderId: string, tag: string) {
  const decision = decide(
    {
      type: 'PlaceOrder',
      orderId,
      customerId: `c-${tag}`,
      region: 'eu',
      currency: 'EUR',
      items: [{ productId: `p-${tag}`, quantity: 1, unitPriceMinor: 100 }],
      at: new Date().toISOString(),
    },
    { status: 'none' },
  );
  if (!decision.ok) throw new Error(decision.error.message);
  return newEvents(decision.events);
}

/** The append options of one PlaceOrder command: a fresh command id each time. */
export const placeAppendOptions = (tag: string) => ({
  commandId: randomUUID(),
  commandType: 'PlaceOrder',
  payloadHash: tag,
  metadata: {
    correlationId: randomUUID(),
    causationId: randomUUID(),
    actor: `test:${tag}`,
    occurredAt: new Date().toISOString(),
  },
});
