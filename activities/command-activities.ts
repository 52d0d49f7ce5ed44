import { fold, type OrderEvent, type OrderState, orderStreamId, upcast } from '../domain';
import { CommandIdConflictError, ConcurrencyError, type EventStore } from '../eventstore';
import type { CommandReply, OrderCommandInput } from '../workflows/order-command-contract';
import { appendOptionsOf, newEvents } from './command-events';

export type LoadOrderResult =
  | { kind: 'processed'; reply: CommandReply }
  | { kind: 'commandIdConflict' }
  | { kind: 'state'; state: OrderState; version: number };

export type AppendOrderEventsResult =
  | { kind: 'appended'; reply: CommandReply }
  | { kind: 'concurrencyConflict' }
  | { kind: 'commandIdConflict' }
  /** PostgreSQL refused the data itself (SQLSTATE class 22): retrying cannot help. */
  | { kind: 'invalidData'; message: string };

export interface AppendOrderEventsInput {
  input: OrderCommandInput;
  expectedVersion: number;
  events: OrderEvent[];
}

/** The event store I/O of the command workflow. Expected outcomes are results, not throws. */
export function createCommandActivities(store: EventStore) {
  return {
    /** The order's current state, unless this command id already produced events. */
    async loadOrder(input: OrderCommandInput): Promise<LoadOrderResult> {
      const previous = await store.findCommand(input.commandId);
      if (previous) {
        if (previous.payloadHash !== input.payloadHash) return { kind: 'commandIdConflict' };
        return {
          kind: 'processed',
          reply: {
            orderId: input.command.orderId,
            version: previous.version,
            position: previous.position,
          },
        };
      }
      const stored = await store.readStream(orderStreamId(input.command.orderId));
      return { kind: 'state', state: fold(stored.map(upcast)), version: stored.length };
    },

    async appendOrderEvents({
      input,
      expectedVersion,
      events,
    }: AppendOrderEventsInput): Promise<AppendOrderEventsResult> {
      try {
        const result = await store.append(
          orderStreamId(input.command.orderId),
          expectedVersion,
          newEvents(events),
          appendOptionsOf(input),
        );
        return {
          kind: 'appended',
          reply: {
            orderId: input.command.orderId,
            version: result.version,
            position: result.position,
          },
        };
      } catch (err) {
        if (err instanceof ConcurrencyError) return { kind: 'concurrencyConflict' };
        if (err instanceof CommandIdConflictError) return { kind: 'commandIdConflict' };
        const code = (err as { code?: unknown }).code;
        if (typeof code === 'string' && code.startsWith('22')) {
          return { kind: 'invalidData', message: (err as Error).message };
        }
        throw err;
      }
    },
  };
}

export type CommandActivities = ReturnType<typeof createCommandActivities>;
