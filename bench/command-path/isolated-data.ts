// The bench's own data, apart from the app's and the tests': database orders_bench_cmd,
// Elasticsearch prefix `benchcmd-`, Redis db 3 prefix `benchcmd:`. Emptied at each start.
import { Client as EsClient } from '@elastic/elasticsearch';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createPool, migrate } from '../../eventstore';
import {
  ADMIN_DATABASE_URL,
  BENCH_DATABASE,
  BENCH_DATABASE_URL,
  ES_PREFIX,
  REDIS_PREFIX,
  REDIS_URL,
} from './settings';

/**
 * Creates and migrates the bench database, then empties it, the `benchcmd-` indices and the
 * `benchcmd:` keys: each run starts empty, so append timings do not depend on earlier runs,
 * and the projectors start from the beginning of an empty store.
 */
export async function prepareData(): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [
      BENCH_DATABASE,
    ]);
    if (!rowCount) await admin.query(`create database ${BENCH_DATABASE}`);
  } finally {
    await admin.end();
  }
  const pool = createPool(BENCH_DATABASE_URL, 2);
  try {
    await migrate(pool);
    await pool.query('truncate events, streams, commands, projection_checkpoints');
  } finally {
    await pool.end();
  }
  const es = new EsClient({ node: 'http://127.0.0.1:9200' });
  try {
    const indices = await es.cat.indices({ index: `${ES_PREFIX}*`, format: 'json' });
    const names = indices.map((i) => i.index).filter((n): n is string => !!n);
    // Names, not a wildcard: action.destructive_requires_name refuses wildcard deletes.
    if (names.length) await es.indices.delete({ index: names });
  } finally {
    await es.close();
  }
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${REDIS_PREFIX}*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
