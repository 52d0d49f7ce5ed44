import { config } from '../../config/env';
import { reconcileMonth } from '../../projections/reconcile';
import type { Connections } from '../../temporal/connections';
import { monthIn } from '../../workflows/report-months';
import type { Acked } from './command-calls';
import { waitFor } from './wait';

/** What the checks read: the test's own connections to the servers (a TestApp has them). */
export interface HasConnections {
  connections: Pick<Connections, 'pool' | 'es' | 'redis'>;
}

/** Every acknowledged command's events exist exactly once. */
export async function assertExactlyOnce(app: HasConnections, acked: Acked[]): Promise<void> {
  const ids = acked.map((a) => a.commandId);
  const { rows } = await app.connections.pool.query<{ command_id: string; n: number }>(
    `select metadata->>'commandId' as command_id, count(*)::int as n from events
     where metadata->>'commandId' = any($1::text[]) group by 1`,
    [ids],
  );
  const counts = new Map(rows.map((r) => [r.command_id, r.n]));
  const wrong = acked.filter((a) => counts.get(a.commandId) !== 1);
  if (wrong.length > 0) {
    throw new Error(
      `${wrong.length} acknowledged command(s) not stored exactly once, e.g. ${JSON.stringify(wrong[0])} -> ${counts.get(wrong[0]?.commandId ?? '')}`,
    );
  }
}

/** The report months the acknowledged completions landed in, read from their stored events. */
async function monthsOf(app: HasConnections, acked: Acked[]): Promise<string[]> {
  const ids = acked.filter((a) => a.type === 'complete').map((a) => a.commandId);
  const { rows } = await app.connections.pool.query<{ occurred_at: Date }>(
    `select distinct occurred_at from events
     where event_type = 'OrderCompleted' and metadata->>'commandId' = any($1::text[])`,
    [ids],
  );
  return [...new Set(rows.map((r) => monthIn(r.occurred_at, config().REPORT_TIMEZONE)))].sort();
}

/**
 * Waits until the reconciliation of every month the load completed orders in reports zero
 * differences (read models equal the event store), with live numbers to compare.
 */
export async function assertReconciled(
  app: HasConnections,
  acked: Acked[],
  timeoutMs = 180_000,
): Promise<void> {
  const months = await monthsOf(app, acked);
  if (months.length === 0) throw new Error('no completed order to reconcile');
  for (const month of months) {
    let last = '';
    await waitFor(
      `reconcile ${month} clean`,
      async () => {
        await app.connections.es.indices.refresh({ index: `${config().ES_INDEX_PREFIX}orders` });
        const r = await reconcileMonth(
          {
            ...app.connections,
            esPrefix: config().ES_INDEX_PREFIX,
            redisPrefix: config().REDIS_KEY_PREFIX,
            timeZone: config().REPORT_TIMEZONE,
          },
          month,
        );
        last = JSON.stringify(r.differences.slice(0, 3));
        return r.differences.length === 0 && r.checked.live > 0 ? true : undefined;
      },
      timeoutMs,
      1_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last differences: ${last}`);
    });
  }
}
