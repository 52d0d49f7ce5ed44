import { randomUUID } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import {
  type ExportCut,
  exportCut,
  type MonthRead,
  readMonthCompletions,
  readMonthEvents,
} from '../../eventstore';
import { reportsFromEventStore } from '../reconcile';
import type { ReportView } from '../report-slot';
import {
  ExportRefusedError,
  eventCells,
  orderLineCells,
  type Partition,
  partitionsOf,
  reportCells,
} from './datasets';
import {
  codeVersion,
  DATA_FILE,
  fileSize,
  fsyncPath,
  installPartition,
  MANIFEST_FILE,
  type PartitionManifest,
  readManifest,
  sha256Of,
  writeSynced,
} from './publish';
import { StagingDb } from './staging-db';

export interface ExportDeps {
  pool: pg.Pool;
  /** EXPORT_DIR. */
  exportDir: string;
  timeZone: string;
  /** Rows fetched from PostgreSQL per page (default 10,000). */
  pageSize?: number;
}

/** How far an export got: its cut, and what it has staged. A retry passes it back. */
export interface ExportProgress {
  exportId: string;
  cut: ExportCut;
  /** Partitions staged whole (file and manifest written and synced). */
  staged: string[];
  /** The partition being staged, and its rows so far. */
  current?: { partition: string; rows: number };
}

export interface ExportOptions {
  /** What an earlier attempt recorded: resumed with the same cut, after its last page. */
  earlier?: ExportProgress;
  /** Called after every page and every staged partition (the activity heartbeats it). */
  onProgress?: (progress: ExportProgress) => void;
}

export interface ExportSummary {
  month: string;
  exportId: string;
  cut: ExportCut;
  partitions: {
    partition: string;
    rows: number;
    sha256: string;
    /** False: a month made from a later cut was already published, and stays. */
    installed: boolean;
  }[];
}

const DEFAULT_PAGE_SIZE = 10_000;

/** Where an export stages its month: beside the datasets, so renames stay on one filesystem. */
export const stagingRoot = (exportDir: string) => path.join(exportDir, '.staging');

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

/**
 * Exports one month as Hive-partitioned Parquet under `exportDir`: order_lines, events and
 * monthly_reports (both views), each with its manifest, all from one cut of the event store.
 * Each partition is replaced atomically; a failure leaves the published month as it was.
 * @throws ExportRefusedError when a number does not fit INT64 (nothing is published).
 */
export async function exportMonth(
  deps: ExportDeps,
  month: string,
  options: ExportOptions = {},
): Promise<ExportSummary> {
  const progress: ExportProgress = options.earlier
    ? { ...options.earlier, staged: [...options.earlier.staged] }
    : { exportId: randomUUID(), cut: await exportCut(deps.pool), staged: [] };
  const staging = path.join(stagingRoot(deps.exportDir), `${month}-${progress.exportId}`);
  await mkdir(path.join(staging, 'spill'), { recursive: true });
  const partitions = partitionsOf(month);
  const db = await StagingDb.open(staging);
  try {
    for (const partition of partitions) {
      const dir = path.join(staging, partition.dir);
      if (await exists(path.join(dir, MANIFEST_FILE))) continue;
      await mkdir(dir, { recursive: true });
      await stagePartition(deps, db, month, partition, progress, options.onProgress);
      await writeParquet(deps, db, month, partition, dir, progress);
      progress.staged = [...new Set([...progress.staged, partition.dir])];
      delete progress.current;
      options.onProgress?.(progress);
    }
  } catch (err) {
    // A refusal is final (no retry resumes it): its staged rows would only take up space.
    if (err instanceof ExportRefusedError) {
      db.close();
      await rm(staging, { recursive: true, force: true });
    }
    throw err;
  } finally {
    db.close();
  }
  const summary: ExportSummary = {
    month,
    exportId: progress.exportId,
    cut: progress.cut,
    partitions: [],
  };
  for (const partition of partitions) {
    const staged = path.join(staging, partition.dir);
    const manifest = await readManifest(staged);
    if (!manifest) throw new Error(`${partition.dir} was not staged`);
    const installed = await installPartition(staged, path.join(deps.exportDir, partition.dir));
    summary.partitions.push({
      partition: partition.dir,
      rows: manifest.rows,
      sha256: manifest.sha256,
      installed,
    });
  }
  await rm(staging, { recursive: true, force: true });
  return summary;
}

/** Appends the partition's rows to its staging table, after those a dead attempt left. */
async function stagePartition(
  deps: ExportDeps,
  db: StagingDb,
  month: string,
  partition: Partition,
  progress: ExportProgress,
  onProgress: ExportOptions['onProgress'],
): Promise<void> {
  await db.run(`create table if not exists ${partition.table} (${partition.ddl})`);
  if (partition.dataset === 'monthly_reports') {
    const view = partition.table.replace('monthly_reports_', '') as ReportView;
    const numbers = await reportsFromEventStore(
      deps.pool,
      month,
      deps.timeZone,
      view,
      progress.cut.horizon,
    );
    // Small (a row per currency, region and product): recomputed whole on a retry.
    await db.run(`delete from ${partition.table}`);
    await db.append(partition.table, reportCells(view, numbers));
    return;
  }
  const after = Number(
    (await db.value(`select coalesce(max(${partition.key}), 0) from ${partition.table}`)) ?? 0,
  );
  let rows = Number(await db.value(`select count(*) from ${partition.table}`));
  const read: MonthRead = {
    month,
    timeZone: deps.timeZone,
    cut: progress.cut,
    afterPosition: after,
    pageSize: deps.pageSize ?? DEFAULT_PAGE_SIZE,
  };
  const pages =
    partition.dataset === 'events'
      ? mapPages(readMonthEvents(deps.pool, read), (page) => page.map(eventCells))
      : mapPages(readMonthCompletions(deps.pool, read), (page) => page.flatMap(orderLineCells));
  for await (const cells of pages) {
    rows += await db.append(partition.table, cells);
    progress.current = { partition: partition.dir, rows };
    onProgress?.(progress);
  }
}

async function* mapPages<T, U>(pages: AsyncGenerator<T[]>, f: (page: T[]) => U[]) {
  for await (const page of pages) yield f(page);
}

/** Writes the staged rows as the partition's Parquet file, then its manifest, both synced. */
async function writeParquet(
  deps: ExportDeps,
  db: StagingDb,
  month: string,
  partition: Partition,
  dir: string,
  progress: ExportProgress,
): Promise<void> {
  const file = path.join(dir, DATA_FILE);
  const columns = partition.key === '_pos' ? '* exclude (_pos)' : '*';
  await db.run(
    `copy (select ${columns} from ${partition.table}) to '${file.replaceAll("'", "''")}'
     (format parquet, compression zstd, row_group_size 50000)`,
  );
  await fsyncPath(file);
  const range = partition.key
    ? await Promise.all([
        db.value(`select min(${partition.key}) from ${partition.table}`),
        db.value(`select max(${partition.key}) from ${partition.table}`),
      ])
    : [null, null];
  const position = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  const manifest: PartitionManifest = {
    dataset: partition.dataset,
    month,
    partition: partition.dir,
    file: DATA_FILE,
    rows: Number(await db.value(`select count(*) from ${partition.table}`)),
    bytes: await fileSize(file),
    sha256: await sha256Of(file),
    eventStore: {
      ...progress.cut,
      firstPosition: position(range[0]),
      lastPosition: position(range[1]),
    },
    timeZone: deps.timeZone,
    exportId: progress.exportId,
    exportedAt: new Date().toISOString(),
    code: codeVersion(),
    types: {
      money: 'INT64, minor units of the row currency',
      timestamps: 'TIMESTAMP adjusted to UTC (isAdjustedToUTC), microseconds',
    },
  };
  await writeSynced(path.join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  await fsyncPath(dir);
}
