import type { EventMetadata, StoredEvent } from './types';

/** An events row as PostgreSQL returns it (transaction_id cast to text: it is 64-bit). */
export interface EventRow {
  event_id: string;
  stream_id: string;
  stream_version: number;
  global_position: string;
  transaction_id: string;
  event_type: string;
  schema_version: number;
  data: unknown;
  metadata: EventMetadata;
  recorded_at: Date;
}

export const EVENT_COLUMNS = `event_id, stream_id, stream_version, global_position,
  transaction_id::text as transaction_id, event_type, schema_version, data, metadata, recorded_at`;

export function toStored(row: EventRow): StoredEvent {
  return {
    eventId: row.event_id,
    streamId: row.stream_id,
    streamVersion: row.stream_version,
    globalPosition: Number(row.global_position),
    transactionId: row.transaction_id,
    type: row.event_type,
    schemaVersion: row.schema_version,
    data: row.data,
    metadata: row.metadata,
    recordedAt: row.recorded_at.toISOString(),
  };
}
