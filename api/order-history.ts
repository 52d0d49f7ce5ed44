import { TRPCError } from '@trpc/server';
import type pg from 'pg';
import { orderStreamId, UnknownEventError, upcast } from '../domain';
import { EventStore } from '../eventstore';
import { withEventStore } from './event-store-calls';

export interface HistoryEvent {
  version: number;
  position: number;
  type: string;
  /** When it happened (the command's effective time); `recordedAt`: when it was stored. */
  occurredAt: string;
  recordedAt: string;
  /** The event as this code reads it today (older versions upcast). */
  data: unknown;
  metadata: { commandId: string; actor: string; correlationId: string };
}

export interface OrderHistory {
  orderId: string;
  events: HistoryEvent[];
  /** Pass as `afterVersion` for the next page; null when none is left. */
  nextAfterVersion: number | null;
}

/**
 * An order's events from the event store — the record, never the read model — in version
 * order, a page at a time: what an auditor asks for, and what a drill-down shows.
 */
export async function orderHistory(
  pool: pg.Pool,
  q: { orderId: string; afterVersion: number; pageSize: number },
): Promise<OrderHistory> {
  const stored = await withEventStore(
    'orders.history',
    'ask for a smaller pageSize, or try again shortly',
    () =>
      new EventStore(pool).readStreamPage(orderStreamId(q.orderId), q.afterVersion, q.pageSize + 1),
  );
  if (stored.length === 0 && q.afterVersion === 0) {
    throw new TRPCError({ code: 'NOT_FOUND', message: `order ${q.orderId} not found` });
  }
  const page = stored.slice(0, q.pageSize);
  const events = page.map((e): HistoryEvent => {
    let data: unknown;
    try {
      data = upcast(e).data;
    } catch (err) {
      if (!(err instanceof UnknownEventError)) throw err;
      throw new TRPCError({
        code: 'UNPROCESSABLE_CONTENT',
        message: `order ${q.orderId} version ${e.streamVersion}: ${err.message} (a newer version of this service wrote it); read it with that version`,
      });
    }
    return {
      version: e.streamVersion,
      position: e.globalPosition,
      type: e.type,
      occurredAt: e.metadata.occurredAt,
      recordedAt: e.recordedAt,
      data,
      metadata: {
        commandId: e.metadata.commandId,
        actor: e.metadata.actor,
        correlationId: e.metadata.correlationId,
      },
    };
  });
  const more = stored.length > q.pageSize;
  return {
    orderId: q.orderId,
    events,
    nextAfterVersion: more ? (page.at(-1)?.streamVersion ?? null) : null,
  };
}
