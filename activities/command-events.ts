import type { OrderCommandInput } from '../contracts/order-commands';
import { CURRENT_SCHEMA_VERSION, type OrderEvent } from '../domain';
import type { AppendOptions, NewEvent } from '../eventstore';

/** A decided command's events, as the event store stores them (current schema versions). */
export function newEvents(events: readonly OrderEvent[]): NewEvent[] {
  return events.map((e) => ({
    type: e.type,
    schemaVersion: CURRENT_SCHEMA_VERSION[e.type],
    data: e.data,
  }));
}

/** What is stored with a command's events: its id, payload hash and the envelope's metadata. */
export function appendOptionsOf(input: OrderCommandInput): AppendOptions {
  return {
    commandId: input.commandId,
    commandType: input.command.type,
    payloadHash: input.payloadHash,
    metadata: {
      correlationId: input.correlationId,
      causationId: input.commandId,
      actor: input.actor,
      occurredAt: input.command.at,
      ...(input.traceparent ? { traceparent: input.traceparent } : {}),
    },
  };
}
