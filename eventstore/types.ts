/** Who and why, stored with every event (DESIGN.md principle 7). */
export interface EventMetadata {
  commandId: string;
  correlationId: string;
  causationId: string;
  actor: string;
  occurredAt: string;
  /** W3C trace context of the request that caused the event, when traces were on. */
  traceparent?: string;
}

/** An event as handed to append. */
export interface NewEvent {
  type: string;
  schemaVersion: number;
  data: unknown;
}

/** An event as stored: the envelope. */
export interface StoredEvent {
  eventId: string;
  streamId: string;
  streamVersion: number;
  globalPosition: number;
  /** xid8 of the writing transaction, as a decimal string (it is 64-bit). */
  transactionId: string;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: EventMetadata;
  recordedAt: string;
}

export interface AppendOptions {
  commandId: string;
  commandType: string;
  /** Hash of the command's payload: the same id with another payload is refused. */
  payloadHash: string;
  metadata: Omit<EventMetadata, 'commandId'>;
}

export interface AppendResult {
  streamId: string;
  /** The stream's version after the append. */
  version: number;
  /** Global position of the last event written. */
  position: number;
  /** True when the command id had already been appended: nothing new was written. */
  duplicate: boolean;
}

/**
 * Where a reader of the global order stands. Ordered by (transactionId, position), not
 * position alone: positions are taken before commit, so a lower position can become
 * visible after a higher one.
 */
export interface GlobalCheckpoint {
  transactionId: string;
  position: number;
}

export const START: GlobalCheckpoint = { transactionId: '0', position: 0 };

export interface ReadAllResult {
  events: StoredEvent[];
  /** Pass back to continue; unchanged when nothing new was visible. */
  checkpoint: GlobalCheckpoint;
  /** Transactions below this id had all finished when this page was read (xid8, decimal). */
  horizon: string;
  /**
   * Events are committed at or above the horizon: an older transaction, in any database of
   * the cluster, is still open, and they become readable when it ends (which notifies no one).
   */
  heldBack: boolean;
}
