import type { CommandReply, OrderCommandInput } from '../contracts/order-commands';
import {
  type DomainError,
  decide,
  fold,
  type OrderEvent,
  type OrderState,
  orderStreamId,
  upcast,
} from '../domain';
import { CommandIdConflictError, ConcurrencyError, type EventStore } from '../eventstore';
import { appendOptionsOf, newEvents } from './command-events';

export type LoadOrderResult =
  | { kind: 'processed'; reply: CommandReply }
  | { kind: 'commandIdConflict' }
  /**
   * The domain refused this command, now or when this command id first came (recorded in
   * `command_refusals`, so the answer outlives Temporal's retention of the first run).
   */
  | { kind: 'refused'; error: DomainError }
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
    /**
     * The order's current state, unless this command id already has an outcome in the store
     * (events, or a recorded refusal). A command the domain refuses on that state is
     * refused here, and the refusal recorded with the command id, as the command partitions
     * do: the workflow would decide the same (`decide` is pure), but a workflow cannot
     * write. A concurrency conflict is not a refusal: it is never recorded.
     */
    async loadOrder(input: OrderCommandInput): Promise<LoadOrderResult> {
      const streamId = orderStreamId(input.command.orderId);
      const [previous, refusals] = await Promise.all([
        store.findCommand(input.commandId),
        store.findRefusals([input.commandId]),
      ]);
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
      const refused = refusals.get(input.commandId.toLowerCase());
      if (refused) {
        if (refused.payloadHash !== input.payloadHash || refused.streamId !== streamId) {
          return { kind: 'commandIdConflict' };
        }
        return { kind: 'refused', error: refused.error as DomainError };
      }
      const stored = await store.readStream(streamId);
      const state = fold(stored.map(upcast));
      const decision = decide(input.command, state);
      if (!decision.ok) {
        await store.recordRefusals([
          {
            commandId: input.commandId,
            streamId,
            payloadHash: input.payloadHash,
            error: decision.error,
          },
        ]);
        // The first record wins: a concurrent run of the same command id may have refused
        // it on another state; every run answers what was recorded.
        const recorded = (await store.findRefusals([input.commandId])).get(
          input.commandId.toLowerCase(),
        );
        return { kind: 'refused', error: (recorded?.error as DomainError) ?? decision.error };
      }
      return { kind: 'state', state, version: stored.length };
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
