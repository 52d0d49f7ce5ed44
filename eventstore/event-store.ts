import type pg from 'pg';
import { appendToStream } from './append';
import { appendBatch, type BatchAppend } from './append-batch';
import {
  type CommandOutcome,
  type CommandRefusal,
  type CommittedCommand,
  findCommand,
  findCommands,
  findRefusals,
  lookupCommand,
  type RefusedCommand,
  recordRefusals,
} from './command-records';
import { readAll, readStream, readStreamPage, readStreams, watermark } from './read-events';
import type {
  AppendOptions,
  AppendResult,
  GlobalCheckpoint,
  NewEvent,
  ReadAllResult,
  StoredEvent,
} from './types';

export type { BatchAppend } from './append-batch';

/**
 * PostgreSQL event store: append with optimistic concurrency, read a stream, read all in a
 * safe global order. Each concern has its module (append, append-batch, read-events,
 * command-records); this class binds them to one pool.
 */
export class EventStore {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Appends events to a stream expected to be at `expectedVersion` (0 for a new stream),
   * in one transaction. Re-appending a command id returns the first result without writing.
   * @throws ConcurrencyError when the stream moved on; CommandIdConflictError when the
   * command id was used for a different payload.
   */
  append(
    streamId: string,
    expectedVersion: number,
    events: NewEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    return appendToStream(this.pool, streamId, expectedVersion, events, options);
  }

  /**
   * Appends many commands' events in one transaction, with one multi-row insert per table
   * fed by arrays (unnest): for bulk imports, where `append` is a round trip per command.
   * All or nothing, with the invariants of `append`: the compare-and-set on `streams`
   * (entries of one stream must follow each other in the batch, each expecting the version
   * the previous one leaves), unique (stream_id, stream_version), every command id recorded
   * with its resulting version and position, and the events' `transaction_id` from its
   * column default. Retrying a batch that committed returns its first results
   * (`duplicate: true`) and writes nothing.
   * @throws ConcurrencyError when a stream is not at its expected version (nothing is
   * written); CommandIdConflictError when a command id was used for a different payload or
   * stream; Error when the batch only partly overlaps commands appended before.
   */
  appendBatch(streams: BatchAppend[]): Promise<AppendResult[]> {
    return appendBatch(this.pool, streams);
  }

  /** All events of one stream, in stream order. */
  readStream(streamId: string): Promise<StoredEvent[]> {
    return readStream(this.pool, streamId);
  }

  /** At most `limit` events of a stream after `afterVersion`, in stream order. */
  readStreamPage(streamId: string, afterVersion: number, limit: number): Promise<StoredEvent[]> {
    return readStreamPage(this.pool, streamId, afterVersion, limit);
  }

  /** All events of several streams, grouped by stream in stream order (one query). */
  readStreams(streamIds: string[]): Promise<Map<string, StoredEvent[]>> {
    return readStreams(this.pool, streamIds);
  }

  /** The results of the command ids that produced events (one query), by command id. */
  findCommands(commandIds: readonly string[]): Promise<Map<string, CommittedCommand>> {
    return findCommands(this.pool, commandIds);
  }

  /** Where and how a command ended, as the store knows it (null: it stored nothing). */
  lookupCommand(commandId: string): Promise<CommandOutcome | null> {
    return lookupCommand(this.pool, commandId);
  }

  /** Records commands the domain refused (first record wins: a repeat changes nothing). */
  recordRefusals(refusals: readonly CommandRefusal[]): Promise<void> {
    return recordRefusals(this.pool, refusals);
  }

  /** The refusals recorded for these command ids, by command id (lower case). */
  findRefusals(commandIds: readonly string[]): Promise<Map<string, RefusedCommand>> {
    return findRefusals(this.pool, commandIds);
  }

  /** The result a command id produced, if it produced events. */
  findCommand(commandId: string): Promise<CommittedCommand | null> {
    return findCommand(this.pool, commandId);
  }

  /**
   * Events of every stream after `after`, in commit-safe global order: only events of
   * transactions older than every transaction still running are returned, ordered by
   * (transaction id, position), so an event committed late is never skipped.
   */
  readAll(after: GlobalCheckpoint, limit: number): Promise<ReadAllResult> {
    return readAll(this.pool, after, limit);
  }

  /**
   * The id the next transaction will get. Once a reader's horizon reaches it, every
   * transaction that was running or done when this was taken has been read.
   */
  watermark(): Promise<string> {
    return watermark(this.pool);
  }
}
