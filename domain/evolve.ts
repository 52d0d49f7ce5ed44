import type { OrderEvent } from './events';
import type { OrderState } from './order';

export class InvalidEventError extends Error {
  override name = 'InvalidEventError';
}

/** Applies one event to the state. Pure; an event that cannot follow the state is a bug. */
export function evolve(state: OrderState, event: OrderEvent): OrderState {
  switch (event.type) {
    case 'OrderPlaced':
      if (state.status !== 'none') throw new InvalidEventError('OrderPlaced on an existing order');
      return { status: 'placed', ...event.data, items: event.data.items.map((i) => ({ ...i })) };
    case 'OrderCompleted':
      if (state.status !== 'placed')
        throw new InvalidEventError(`OrderCompleted on ${state.status}`);
      return { ...state, status: 'completed', completedAt: event.data.completedAt };
    case 'OrderCancelled':
      if (state.status !== 'placed')
        throw new InvalidEventError(`OrderCancelled on ${state.status}`);
      return {
        ...state,
        status: 'cancelled',
        cancelledAt: event.data.cancelledAt,
        cancelReason: event.data.reason,
      };
    case 'OrderRefunded':
      if (state.status !== 'completed')
        throw new InvalidEventError(`OrderRefunded on ${state.status}`);
      return {
        ...state,
        status: 'refunded',
        refundedAt: event.data.refundedAt,
        refundReason: event.data.reason,
      };
  }
}

/** Folds a stream of events into the state. */
export function fold(
  events: Iterable<OrderEvent>,
  from: OrderState = { status: 'none' },
): OrderState {
  let state = from;
  for (const event of events) state = evolve(state, event);
  return state;
}
