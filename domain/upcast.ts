import { CURRENT_SCHEMA_VERSION, type OrderEvent, type OrderEventType } from './events';

/** Turns the data of version `from` into the data of version `from + 1`. */
export type UpcastStep = (data: Record<string, unknown>) => Record<string, unknown>;

/** Steps per event type, keyed by the version they upgrade from. */
export type UpcasterRegistry = Partial<Record<OrderEventType, Record<number, UpcastStep>>>;

export interface StoredEventShape {
  type: string;
  schemaVersion: number;
  data: unknown;
}

export class UnknownEventError extends Error {
  override name = 'UnknownEventError';
}

function isEventType(type: string): type is OrderEventType {
  return Object.hasOwn(CURRENT_SCHEMA_VERSION, type);
}

/**
 * Builds the function that reads any stored version of an event as its current version.
 * Every schema change adds a step here instead of rewriting stored events.
 */
export function createUpcaster(
  registry: UpcasterRegistry,
  current: Record<OrderEventType, number> = CURRENT_SCHEMA_VERSION,
): (event: StoredEventShape) => OrderEvent {
  return (event) => {
    if (!isEventType(event.type)) throw new UnknownEventError(`unknown event type ${event.type}`);
    const target = current[event.type];
    if (event.schemaVersion > target) {
      throw new UnknownEventError(
        `${event.type} v${event.schemaVersion} is newer than this code understands (v${target})`,
      );
    }
    let data = event.data as Record<string, unknown>;
    for (let v = event.schemaVersion; v < target; v++) {
      const step = registry[event.type]?.[v];
      if (!step) throw new UnknownEventError(`no upcaster for ${event.type} v${v} -> v${v + 1}`);
      data = step(data);
    }
    return { type: event.type, data } as unknown as OrderEvent;
  };
}

/** Every event type is at version 1 today, so no steps are registered yet. */
export const upcast = createUpcaster({});
