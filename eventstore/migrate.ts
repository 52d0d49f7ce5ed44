import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
// Serialises concurrent migrators (several workers starting at once).
const LOCK_KEY = 4_242_001;

export interface MigrationResult {
  applied: string[];
  current: number;
}

/** Applies the numbered SQL files in migrations/ that are not applied yet, each in its own transaction. */
export async function migrate(pool: pg.Pool): Promise<MigrationResult> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d{3}_.+\.sql$/.test(f)).sort();
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('select pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(
      `create table if not exists schema_migrations (
         version integer primary key, name text not null, applied_at timestamptz not null default now())`,
    );
    const { rows } = await client.query<{ version: number }>(
      'select version from schema_migrations',
    );
    const done = new Set(rows.map((r) => r.version));
    for (const file of files) {
      const version = Number(file.slice(0, 3));
      if (done.has(version)) continue;
      const sql = await readFile(`${MIGRATIONS_DIR}${file}`, 'utf8');
      await client.query('begin');
      try {
        await client.query(sql);
        await client.query('insert into schema_migrations (version, name) values ($1, $2)', [
          version,
          file,
        ]);
        await client.query('commit');
      } catch (err) {
        await client.query('rollback');
        throw new Error(`migration ${file} failed: ${(err as Error).message}`);
      }
      applied.push(file);
    }
    const current = files.length ? Number(files[files.length - 1]?.slice(0, 3)) : 0;
    return { applied, current };
  } finally {
    await client.query('select pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => undefined);
    client.release();
  }
}
