import { config } from '../../config/env';
import { type OrderDocument, ordersAlias } from '../../projections/elasticsearch';
import { readOrderSummary } from '../../projections/redis';
import type { Acked } from '../support/command-calls';
import type { HasConnections } from '../support/load-checks';

/** Each acknowledged command has exactly one row in the commands table (the idempotency record). */
export async function assertOneCommandRecordEach(app: HasConnections, acked: Acked[]) {
  const { rows } = await app.connections.pool.query<{ command_id: string; n: number }>(
    `select command_id::text, count(*)::int as n from commands
     where command_id = any($1::uuid[]) group by 1`,
    [acked.map((a) => a.commandId)],
  );
  const counts = new Map(rows.map((r) => [r.command_id, r.n]));
  const wrong = acked.filter((a) => counts.get(a.commandId) !== 1);
  if (wrong.length > 0) {
    throw new Error(
      `${wrong.length} acknowledged command(s) without exactly one commands row, e.g. ${JSON.stringify(wrong[0])}`,
    );
  }
}

/** Where a read model's copy of an order differs from the event store's stream. */
export interface Gap {
  orderId: string;
  store: { version: number; status: string };
  elasticsearch: string;
  redis: string;
}

/** The stream version and status of each order in the event store. */
async function storedOrders(
  app: HasConnections,
  orderIds: string[],
): Promise<Map<string, { version: number; status: string }>> {
  // The status an order's last event leaves it in.
  const { rows } = await app.connections.pool.query<{
    order_id: string;
    version: number;
    last: string;
  }>(
    `select substr(s.stream_id, 7) as order_id, s.version, e.event_type as last
     from streams s join events e on e.stream_id = s.stream_id and e.stream_version = s.version
     where s.stream_id = any($1::text[])`,
    [orderIds.map((id) => `order-${id}`)],
  );
  const statusAfter: Record<string, string> = {
    OrderPlaced: 'placed',
    OrderCompleted: 'completed',
    OrderCancelled: 'cancelled',
    OrderRefunded: 'refunded',
  };
  return new Map(
    rows.map((r) => [r.order_id, { version: r.version, status: statusAfter[r.last] ?? r.last }]),
  );
}

const seen = (doc: Pick<OrderDocument, 'version' | 'status'> | null | undefined) =>
  doc ? `v${doc.version} ${doc.status}` : 'missing';

/**
 * Every order the load acknowledged, in the event store, in Elasticsearch and in the Redis
 * order cache: the orders whose copies differ from the store (empty when complete).
 */
export async function readModelGaps(app: HasConnections, acked: Acked[]): Promise<Gap[]> {
  const orderIds = [...new Set(acked.map((a) => a.orderId))];
  const store = await storedOrders(app, orderIds);
  const { es, redis } = app.connections;
  const { docs } = await es.mget<OrderDocument>({
    index: ordersAlias(config().ES_INDEX_PREFIX),
    ids: orderIds,
  });
  const inEs = new Map(
    docs.flatMap((d) => ('found' in d && d.found && d._source ? [[d._id, d._source]] : [])),
  );
  const prefix = config().REDIS_KEY_PREFIX;
  const inRedis = await Promise.all(orderIds.map((id) => readOrderSummary(redis, prefix, id)));
  const gaps: Gap[] = [];
  orderIds.forEach((orderId, i) => {
    const stored = store.get(orderId) ?? { version: 0, status: 'missing' };
    const fromEs = inEs.get(orderId);
    const fromRedis = inRedis[i];
    const same = (doc: OrderDocument | null | undefined) =>
      doc?.version === stored.version && doc.status === stored.status;
    if (!same(fromEs) || !same(fromRedis)) {
      gaps.push({ orderId, store: stored, elasticsearch: seen(fromEs), redis: seen(fromRedis) });
    }
  });
  return gaps;
}
