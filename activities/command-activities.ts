import type { CommandReply, OrderCommandInput } from '../contracts/order-commands';
import {
  type DomainError,
  decideBatch,
  type OrderEvent,
  type OrderState,
  orderStreamId,
  UnknownEventError,
} from '../domain';
import { CommandIdConflictError, ConcurrencyError, type EventStore } from '../eventstore';
import { loadDecisionInputs, recordRefusals } from './command-decision';
import { appendOptionsOf, newEvents } from './command-events';

export type LoadOrderResult =
  | { kind: 'processed'; reply: CommandReply }
  | { kind: 'commandIdConflict' }
  /**
   * The domain refused this command, now or when this command id first came (recorded in
   * `command_refusals`, so the answer outlives Temporal's retention of the first run).
   */
  | { kind: 'refused'; error: DomainError }
  /**
   * Accepted on this state: the workflow decides its events (the same `decideBatch`, a
   * batch of one) and appends them at `version`. (Runs recorded before refusals were
   * recorded here got this for refused commands too, and refused them in the workflow.)
   */
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

/**
 * The event store I/O of the command workflow (one workflow per command), in two local
 * activities whose names and results recorded histories hold. Expected outcomes are
 * results, not throws.
 */
export function createCommandActivities(store: EventStore) {
  return {
    /**
     * The command decided as a batch of one: answered from the store when its id has an
     * outcome there (events, or a recorded refusal); refused, and the refusal recorded,
     * when the domain refuses it (a workflow cannot write); else the order's state. A
     * concurrency conflict is not a refusal: it is never recorded.
     */
    async loadOrder(input: OrderCommandInput): Promise<LoadOrderResult> {
      const { orders, recorded } = await loadDecisionInputs(store, [input]);
      const { outcomes, refusals } = decideBatch([input], orders, recorded);
      const outcome = outcomes[0];
      switch (outcome?.kind) {
        case 'committed': {
          const { version, position } = outcome;
          return {
            kind: 'processed',
            reply: { orderId: input.command.orderId, version, position },
          };
        }
        case 'idConflict':
          return { kind: 'commandIdConflict' };
        case 'refused': {
          const kept = await recordRefusals(store, refusals);
          return {
            kind: 'refused',
            error: kept.get(input.commandId.toLowerCase()) ?? outcome.error,
          };
        }
        case 'unreadable':
          // Retried by the local activity, then the run fails: the caller is told to resend.
          throw new UnknownEventError(outcome.cause);
        case 'accepted': {
          const order = orders.get(orderStreamId(input.command.orderId));
          if (!order) return { kind: 'state', state: { status: 'none' }, version: 0 };
          if ('state' in order) return { kind: 'state', ...order };
          throw new UnknownEventError(order.unreadable); // never: an unreadable order accepts nothing
        }
        case undefined:
          throw new TypeError('decideBatch answered no outcome for the command');
      }
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
