// Parquet export of one large month: a month of generated orders seeded with SQL (seed.ts),
// then exported by the product's exportMonth in a process of its own (export-once.ts), at
// each size asked for: rows per second, and the process's peak RSS, which must stay flat as
// the month grows (the rows stream through a cursor into DuckDB's on-disk staging file).
//
//   npm run bench -- parquet-export [--quick] [--events 100000,1000000]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitForQuiet } from './harness/cpu';
import { databaseUrl, PARQUET_DATA } from './harness/data-sets';
import { readFlags } from './harness/flags';
import { fmt, printTable, progress, writeResults } from './harness/output';
import { openDatabase } from './harness/reset-data';
import { EVENTS_PER_ORDER, seedMonth } from './parquet-export/seed';

const flags = readFlags(['events', 'quiet-wait']);
const sizes = flags.ints('events', flags.quick ? [20_000, 100_000] : [100_000, 1_000_000]);
const quietWaitMs = flags.int('quiet-wait', flags.quick ? 10 : 60) * 1000;
const MONTH = '2024-05';
const pool = await openDatabase(PARQUET_DATA, 2);
const startedAt = new Date().toISOString();
const cells = [];
try {
  for (const events of sizes) {
    progress(`seeding ${MONTH} with about ${events} events`);
    const seeded = await seedMonth(pool, MONTH, Math.ceil(events / EVENTS_PER_ORDER));
    await waitForQuiet(quietWaitMs);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-parquet-'));
    try {
      progress(`exporting ${seeded} events`);
      const r = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          'bench/parquet-export/export-once.ts',
          databaseUrl(PARQUET_DATA.database),
          dir,
          MONTH,
        ],
        { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
      );
      if (r.status !== 0) throw new Error(`export failed: ${r.stderr}`);
      const out = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as {
        ms: number;
        pages: number;
        maxRssKiB: number;
        staged: Record<string, number>;
        partitions: { partition: string; rows: number }[];
      };
      const rows = out.partitions.reduce((sum, p) => sum + p.rows, 0);
      const lines = out.partitions.find((p) => p.partition.startsWith('order_lines'))?.rows ?? 0;
      cells.push({
        events: seeded,
        orderLines: lines,
        rows,
        seconds: out.ms / 1000,
        rowsPerSecond: rows / (out.ms / 1000),
        eventsPerSecond: seeded / (out.ms / 1000),
        peakRssMiB: out.maxRssKiB / 1024,
        pages: out.pages,
        stagedAtSeconds: out.staged,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
} finally {
  await pool.query('truncate events, streams, commands restart identity').catch(() => undefined);
  await pool.end();
}
printTable(`Parquet export of one month (${MONTH})`, cells, {
  events: (c) => c.events,
  'order lines': (c) => c.orderLines,
  'rows written': (c) => c.rows,
  seconds: (c) => c.seconds,
  'rows/s': (c) => Math.round(c.rowsPerSecond),
  'events/s': (c) => Math.round(c.eventsPerSecond),
  'peak RSS MiB': (c) => fmt(c.peakRssMiB),
  'staged at s (lines, events, restated, booked)': (c) =>
    Object.values(c.stagedAtSeconds)
      .map((s) => fmt(s))
      .join(' / '),
});
writeResults('parquet-export', { startedAt, month: MONTH, cells });
