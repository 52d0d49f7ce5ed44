// A bench's own data, apart from the app's and the tests' (the command path: database
// orders_bench_cmd, Elasticsearch prefix `benchcmd-`, Redis db 3 prefix `benchcmd:`).
// Emptied at each start.
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

export interface IsolatedData {
  database: string;
  databaseUrl: string;
  esPrefix: string;
  redisUrl: string;
  redisPrefix: string;
}

const COMMAND_PATH_DATA: IsolatedData = {
  database: BENCH_DATABASE,
  databaseUrl: BENCH_DATABASE_URL,
  esPrefix: ES_PREFIX,
  redisUrl: REDIS_URL,
  redisPrefix: REDIS_PREFIX,
};

/**
 * Creates and migrates the bench database, then empties it, the bench's indices and keys:
 * each run starts empty, so append timings do not depend on earlier runs, and the
 * projectors start from the beginning of an empty store.
 */
export async function prepareData(data: IsolatedData = COMMAND_PATH_DATA): Promise<void> {
  const { database, databaseUrl, esPrefix, redisUrl, redisPrefix } = data;
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [
      database,
    ]);
    if (!rowCount) await admin.query(`create database ${database}`);
  } finally {
    await admin.end();
  }
  const pool = createPool(databaseUrl, 2);
  try {
    await migrate(pool);
    await pool.query('truncate events, streams, commands, projection_checkpoints');
  } finally {
    await pool.end();
  }
  const es = new EsClient({ node: 'http://127.0.0.1:9200' });
  try {
    const indices = await es.cat.indices({ index: `${esPrefix}*`, format: 'json' });
    const names = indices.map((i) => i.index).filter((n): n is string => !!n);
    // Names, not a wildcard: action.destructive_requires_name refuses wildcard deletes.
    if (names.length) await es.indices.delete({ index: names });
  } finally {
    await es.close();
  }
  const redis = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
