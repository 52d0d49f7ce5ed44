import path from 'node:path';
import {
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBInstance,
  DuckDBTimestampTZValue,
} from '@duckdb/node-api';

// A month's rows land in a DuckDB database file in the staging directory, page by page (the
// appender, flushed per page), and leave it as Parquet (COPY). On disk, with a memory
// limit and a temp directory, DuckDB spills instead of growing: memory stays bounded for a
// month of any size, and the rows appended before a worker died are still there for the
// retry, which goes on after the last one.

/** DuckDB's own memory for one export; beyond it, it spills to the staging directory. */
const MEMORY_LIMIT = '128MB';

/** One value of a column as the appender takes it; null for SQL NULL. */
export type Cell =
  | { t: 'text'; v: string | null }
  | { t: 'int'; v: number | null }
  | { t: 'bigint'; v: bigint | null }
  | { t: 'micros'; v: bigint | null };

export class StagingDb {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  /** Opens (or reopens, to resume) the staging database in `dir`. */
  static async open(dir: string): Promise<StagingDb> {
    const instance = await DuckDBInstance.create(path.join(dir, 'rows.duckdb'), {
      memory_limit: MEMORY_LIMIT,
      threads: '1',
      temp_directory: path.join(dir, 'spill'),
      // Parquet is built in; nothing may be fetched from the network at run time.
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    });
    return new StagingDb(instance, await instance.connect());
  }

  async run(sql: string): Promise<void> {
    await this.connection.run(sql);
  }

  /** The first column of the first row of `sql`, as DuckDB returns it. */
  async value(sql: string): Promise<unknown> {
    const reader = await this.connection.runAndReadAll(sql);
    return reader.getRows()[0]?.[0] ?? null;
  }

  /** Appends rows to `table` and commits them (one call per page). */
  async append(table: string, rows: Iterable<Cell[]>): Promise<number> {
    const appender = await this.connection.createAppender(table);
    let count = 0;
    try {
      for (const row of rows) {
        for (const cell of row) appendCell(appender, cell);
        appender.endRow();
        count++;
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    return count;
  }

  private closed = false;

  /** Closes the database (a second call does nothing). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

function appendCell(appender: DuckDBAppender, cell: Cell): void {
  if (cell.v === null) {
    appender.appendNull();
    return;
  }
  switch (cell.t) {
    case 'text':
      appender.appendVarchar(cell.v);
      return;
    case 'int':
      appender.appendInteger(cell.v);
      return;
    case 'bigint':
      appender.appendBigInt(cell.v);
      return;
    case 'micros':
      appender.appendTimestampTZ(new DuckDBTimestampTZValue(cell.v));
      return;
  }
}
