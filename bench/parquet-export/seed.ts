import type pg from 'pg';

// A month of generated orders written straight into the events table with SQL (seconds for
// a million events, where the API would take hours): each order placed with two lines and
// completed in the month, every fourth refunded in it. 2.25 events per order.

export const EVENTS_PER_ORDER = 2.25;

const META = `'{"commandId":"00000000-0000-4000-8000-000000000000","correlationId":"bench","causationId":"bench","actor":"bench","occurredAt":"2024-05-01T00:00:00.000Z"}'::jsonb`;

export async function seedMonth(pool: pg.Pool, month: string, orders: number): Promise<number> {
  await pool.query('truncate events, streams, commands restart identity');
  const chunk = 50_000;
  for (let first = 1; first <= orders; first += chunk) {
    const last = Math.min(orders, first + chunk - 1);
    await pool.query(
      `insert into events (event_id, stream_id, stream_version, event_type, schema_version,
                           data, metadata, occurred_at, recorded_at)
       select gen_random_uuid(), 'order-' || g, v.version, v.type, 1, v.data, ${META}, t.at, t.at
       from generate_series($1::int, $2::int) g
       cross join lateral (
         select ($3 || '-01')::timestamptz + (g % 2592000) * interval '1 second' as at,
                1 + g % 5 as q1, 100 + g % 10000 as p1, 1 + g % 3 as q2, 50 + g % 700 as p2) t
       cross join lateral (values
         (1, 'OrderPlaced', jsonb_build_object(
            'orderId', 'order-' || g, 'customerId', 'c-' || (g % 1000),
            'region', (array['eu','us','apac'])[1 + g % 3], 'currency', (array['EUR','USD'])[1 + g % 2],
            'items', jsonb_build_array(
              jsonb_build_object('productId', 'p-' || (g % 500), 'quantity', t.q1,
                                 'unitPriceMinor', t.p1, 'lineTotalMinor', t.q1 * t.p1),
              jsonb_build_object('productId', 'p-' || ((g + 7) % 500), 'quantity', t.q2,
                                 'unitPriceMinor', t.p2, 'lineTotalMinor', t.q2 * t.p2)),
            'totalQuantity', t.q1 + t.q2, 'totalMinor', t.q1 * t.p1 + t.q2 * t.p2,
            'placedAt', t.at)),
         (2, 'OrderCompleted', jsonb_build_object('orderId', 'order-' || g,
            'completedAt', t.at + interval '1 hour')),
         (3, 'OrderRefunded', jsonb_build_object('orderId', 'order-' || g, 'reason', 'bench',
            'amountMinor', t.q1 * t.p1 + t.q2 * t.p2, 'refundedAt', t.at + interval '2 hours'))
       ) v(version, type, data)
       where v.version < 3 or g % 4 = 0`,
      [first, last, month],
    );
  }
  await pool.query('analyze events');
  const { rows } = await pool.query<{ n: string }>('select count(*)::text as n from events');
  return Number(rows[0]?.n ?? 0);
}
