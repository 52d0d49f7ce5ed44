import { DuckDBInstance } from '@duckdb/node-api';

/** Runs `sql` in a fresh in-memory DuckDB, as an analyst's reader would; rows as objects. */
export async function duckdbRows(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjects() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** A path inside a DuckDB string literal. */
export const lit = (p: string) => `'${p.replaceAll("'", "''")}'`;
