import type { Client, estypes } from '@elastic/elasticsearch';
import type { OrderStatus } from '../../domain';
import { responseErrorOf } from './es-errors';
import type { OrderDocument } from './order-document';

export interface OrderSearchFilters {
  status?: OrderStatus;
  region?: string;
  customerId?: string;
  productId?: string;
  currency?: string;
  /** The month the order counts in for reports (its completion month in REPORT_TIMEZONE). */
  reportMonth?: string;
  /** Inclusive, ISO-8601. */
  placedFrom?: string;
  /** Exclusive, ISO-8601. */
  placedTo?: string;
}

export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

/** The sort values of a hit: placedAt as epoch milliseconds, then orderId. */
type SortPosition = [number, string];

// orderId breaks ties between orders placed in the same millisecond: pages never overlap.
const SORT: estypes.Sort = [{ placedAt: 'desc' }, { orderId: 'asc' }];

function encodeCursor(position: estypes.SortResults): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

function decodeCursor(cursor: string): SortPosition {
  let position: unknown;
  try {
    position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('invalid cursor: pass nextCursor from a previous page unchanged');
  }
  if (
    !Array.isArray(position) ||
    position.length !== 2 ||
    !Number.isSafeInteger(position[0]) ||
    typeof position[1] !== 'string'
  ) {
    throw new InvalidCursorError('invalid cursor: pass nextCursor from a previous page unchanged');
  }
  return [position[0], position[1]];
}

/** Exact-match clauses only: user input is a term value, never query syntax. */
function filterClauses(filters: OrderSearchFilters): estypes.QueryDslQueryContainer[] {
  const clauses: estypes.QueryDslQueryContainer[] = [];
  const terms: [keyof OrderDocument, string | undefined][] = [
    ['status', filters.status],
    ['region', filters.region],
    ['customerId', filters.customerId],
    ['productIds', filters.productId],
    ['currency', filters.currency],
    ['reportMonth', filters.reportMonth],
  ];
  for (const [field, value] of terms) {
    if (value !== undefined) clauses.push({ term: { [field]: value } });
  }
  if (filters.placedFrom !== undefined || filters.placedTo !== undefined) {
    clauses.push({
      range: {
        placedAt: {
          ...(filters.placedFrom !== undefined ? { gte: filters.placedFrom } : {}),
          ...(filters.placedTo !== undefined ? { lt: filters.placedTo } : {}),
        },
      },
    });
  }
  return clauses;
}

/** One page of matching orders, newest first; pass `nextCursor` back for the next page. */
export async function searchOrders(
  es: Client,
  index: string,
  filters: OrderSearchFilters,
  pageSize: number,
  cursor?: string,
): Promise<{ items: OrderDocument[]; nextCursor: string | null }> {
  if (!Number.isInteger(pageSize) || pageSize < 1) {
    throw new RangeError(`pageSize must be a positive integer, got ${pageSize}`);
  }
  const response = await es.search<OrderDocument>({
    index,
    query: { bool: { filter: filterClauses(filters) } },
    sort: SORT,
    // One more than the page: a cursor is only handed out when another page has orders.
    size: pageSize + 1,
    track_total_hits: false,
    ...(cursor !== undefined ? { search_after: decodeCursor(cursor) } : {}),
  });
  const hits = response.hits.hits.slice(0, pageSize);
  const items = hits.flatMap((hit) => (hit._source ? [hit._source] : []));
  const last = hits.at(-1);
  const more = response.hits.hits.length > pageSize;
  const nextCursor = more && last?.sort ? encodeCursor(last.sort) : null;
  return { items, nextCursor };
}

/** The stored order (realtime: includes writes not yet refreshed), or null if there is none. */
export async function readOrderDocument(
  es: Client,
  index: string,
  orderId: string,
): Promise<OrderDocument | null> {
  try {
    const response = await es.get<OrderDocument>({ index, id: orderId });
    return response._source ?? null;
  } catch (err) {
    // A missing index is a missing read model, not a missing order: let it surface.
    const failure = responseErrorOf(err);
    if (failure?.status === 404 && failure.type === null) return null;
    throw err;
  }
}
