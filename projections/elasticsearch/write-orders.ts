import type { Client, estypes } from '@elastic/elasticsearch';
import { responseErrorOf } from './es-errors';
import type { OrderDocument } from './order-document';

/** A write Elasticsearch refuses for good (the document does not fit the mapping): retrying cannot help. */
export class NonRetryableProjectionError extends Error {
  override name = 'NonRetryableProjectionError';
}

// The same request always gets the same 400 back, whatever its error type says.
function isRejection(status: number): boolean {
  return status === 400;
}

const CONCRETE_GENERATION = /-v\d+$/;

/**
 * Longest refusal reason kept: Elasticsearch quotes the offending value, which can be tens
 * of kilobytes (an immense keyword), and the reason travels in workflow payloads and
 * failures (Temporal refused one such failure as over its size limit).
 */
const MAX_REASON_CHARS = 1_000;

function shortReason(type: string, reason: string | null | undefined): string {
  const full = `${type}: ${reason ?? 'no reason given'}`;
  return full.length <= MAX_REASON_CHARS ? full : `${full.slice(0, MAX_REASON_CHARS)}…`;
}

/**
 * Writes to an alias must not auto-create a dynamically mapped index named like the alias
 * (when the alias is missing, e.g. before `ensureOrdersIndex` ran); that would block the
 * alias for good. Rebuilds write to a concrete generation, which the template covers.
 */
function requireAlias(index: string): boolean {
  return !CONCRETE_GENERATION.test(index);
}

export interface WriteOrderOptions {
  /**
   * Return only once the write is visible to searches (`refresh: 'wait_for'`: waits for the
   * next periodic refresh, never forces one), for callers that must not act before that.
   */
  waitForRefresh?: boolean;
}

/**
 * Stores the order at its version. External versioning makes Elasticsearch keep the highest
 * version, so a duplicate or late delivery is a no-op: 'stale'.
 */
export async function writeOrderDocument(
  es: Client,
  index: string,
  doc: OrderDocument,
  options: WriteOrderOptions = {},
): Promise<'written' | 'stale'> {
  try {
    await es.index({
      index,
      id: doc.orderId,
      document: doc,
      version: doc.version,
      version_type: 'external',
      require_alias: requireAlias(index),
      ...(options.waitForRefresh ? { refresh: 'wait_for' as const } : {}),
    });
    return 'written';
  } catch (err) {
    const failure = responseErrorOf(err);
    if (failure?.status === 409) return 'stale';
    if (failure && isRejection(failure.status)) {
      throw new NonRetryableProjectionError(
        `order ${doc.orderId} v${doc.version} rejected by ${index}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    throw err;
  }
}

export interface BulkWriteOptions {
  /**
   * 'throw' (default): a document the index refuses fails the whole call, non-retryably.
   * 'report': such documents are returned in `rejected` and the others still count; the
   * live projector parks them and goes on.
   */
  rejections?: 'throw' | 'report';
  /** Make the batch visible to searches before returning (`refresh: true`). */
  refresh?: boolean;
}

export interface BulkWriteResult {
  written: number;
  stale: number;
  rejected: { orderId: string; reason: string }[];
}

/** Many orders in one `_bulk` request, with the same versioning rules as `writeOrderDocument`. */
export async function bulkWriteOrderDocuments(
  es: Client,
  index: string,
  docs: OrderDocument[],
  options: BulkWriteOptions = {},
): Promise<BulkWriteResult> {
  if (docs.length === 0) return { written: 0, stale: 0, rejected: [] };
  const operations = docs.flatMap((doc) => [
    { index: { _index: index, _id: doc.orderId, version: doc.version, version_type: 'external' } },
    doc,
  ]);
  let response: estypes.BulkResponse;
  try {
    response = await es.bulk({
      operations,
      require_alias: requireAlias(index),
      filter_path: 'errors,items.*._id,items.*.status,items.*.error',
      ...(options.refresh ? { refresh: true } : {}),
    });
  } catch (err) {
    const failure = responseErrorOf(err);
    if (failure && isRejection(failure.status)) {
      throw new NonRetryableProjectionError(
        `bulk write to ${index} rejected: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    throw err;
  }
  let written = 0;
  let stale = 0;
  const failures: { status: number; reason: string }[] = [];
  const rejected: BulkWriteResult['rejected'] = [];
  for (const item of response.items ?? []) {
    const result = item.index;
    if (!result) continue;
    if (result.status === 409) stale++;
    else if (result.error) {
      const reason = shortReason(result.error.type, result.error.reason);
      if (isRejection(result.status)) rejected.push({ orderId: result._id ?? '', reason });
      else failures.push({ status: result.status, reason });
    } else written++;
  }
  const first = failures[0];
  if (first) {
    throw new Error(`bulk write to ${index}: ${failures.length} failed, first: ${first.reason}`);
  }
  const firstRejected = rejected[0];
  if (firstRejected && options.rejections !== 'report') {
    throw new NonRetryableProjectionError(
      `bulk write to ${index} rejected: ${firstRejected.reason}`,
    );
  }
  return { written, stale, rejected };
}
