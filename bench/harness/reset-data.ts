// A data set's database created and migrated, and emptied with its indices and keys: each
// run starts from nothing, so timings do not depend on earlier runs and projectors start at
// the beginning of an empty store.
import { Client as EsClient } from '@elastic/elasticsearch';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createPool, migrate } from '../../eventstore';
import { ADMIN_DATABASE_URL, type DataSet, databaseUrl, ES_URL, redisUrl } from './data-sets';

/** The data set's database, created when missing and migrated; a pool on it. */
export async function openDatabase(data: DataSet, poolSize = 4): Promise<pg.Pool> {
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    const found = await admin.query('select 1 from pg_database where datname = $1', [
      data.database,
    ]);
    if (!found.rowCount) await admin.query(`create database ${data.database}`);
  } finally {
    await admin.end();
  }
  const pool = createPool(databaseUrl(data.database), poolSize);
  await migrate(pool);
  return pool;
}

/** Names of the data set's indices (a wildcard delete may be refused: names are not). */
export async function dataSetIndices(es: EsClient, data: DataSet): Promise<string[]> {
  const rows = await es.cat.indices({
    index: `${data.esPrefix}*`,
    h: 'index',
    format: 'json',
    expand_wildcards: 'all',
  });
  return rows.map((r) => r.index).filter((n): n is string => !!n);
}

/** Empties the data set: event store tables, its indices, its Redis keys. */
export async function resetDataSet(data: DataSet): Promise<void> {
  const pool = await openDatabase(data, 1);
  try {
    await pool.query('truncate events, streams, commands, projection_checkpoints');
  } finally {
    await pool.end();
  }
  const es = new EsClient({ node: ES_URL });
  try {
    const names = await dataSetIndices(es, data);
    if (names.length) await es.indices.delete({ index: names });
  } finally {
    await es.close();
  }
  const redis = new Redis(redisUrl(data));
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${data.redisPrefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
