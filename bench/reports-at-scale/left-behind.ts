// The read model and tables a run leaves behind: bench/command-path.ts reports on them
// (command-reports, command-sql-report), so the run ends by saying what stays.
import type { Client as EsClient } from '@elastic/elasticsearch';
import type pg from 'pg';
import { redactUrl } from '../../config/client-options';
import { ordersAlias, reportsIndexName } from '../../projections/elasticsearch';
import { int } from '../bench-stats';
import { BENCH_DATABASE } from '../load-orders';
import { log } from './log';
import { ES_PREFIX, REDIS_PREFIX, REDIS_URL } from './settings';

async function leftBehind(es: EsClient, pool: pg.Pool) {
  const alias = ordersAlias(ES_PREFIX);
  const reportsIndex = reportsIndexName(ES_PREFIX);
  const aliases = await es.indices.getAlias({ name: alias }, { ignore: [404] });
  const manifests = (region?: string) =>
    es.count(
      {
        index: reportsIndex,
        query: {
          bool: {
            filter: [{ term: { kind: 'manifest' } }, ...(region ? [{ term: { region } }] : [])],
          },
        },
      },
      { ignore: [404] },
    );
  const [all, allRegions, completed] = await Promise.all([
    manifests(),
    manifests('*'),
    pool.query<{ n: string }>("select count(*) as n from orders where status = 'completed'"),
  ]);
  return {
    alias,
    index: Object.keys(aliases).find((k) => k !== 'error' && k !== 'status') ?? null,
    reportsIndex,
    rollups: all.count ?? 0,
    allRegionsRollups: allRegions.count ?? 0,
    database: BENCH_DATABASE,
    completedOrdersInTables: Number(completed.rows[0]?.n ?? 0),
  };
}

export async function logLeftBehind(es: EsClient, pool: pg.Pool): Promise<void> {
  const left = await leftBehind(es, pool).catch((err: unknown) => String(err));
  if (typeof left === 'string') log(`left behind: could not tell (${left})`);
  else
    log(
      `left behind for bench/command-path.ts: ${left.alias} → ${left.index ?? 'nothing'}; ${int(left.rollups)} rollups (${int(left.allRegionsRollups)} of all regions) in ${left.reportsIndex}; Redis ${redactUrl(REDIS_URL)} prefix ${REDIS_PREFIX}; ${left.database}: ${int(left.completedOrdersInTables)} completed orders in orders/order_items, view monthly_product_sales`,
    );
}
