// One month exported by the product's exportMonth, alone in this process, so its peak RSS
// (DuckDB's native memory included) is the export's. Prints one JSON line.
//   node --import tsx bench/parquet-export/export-once.ts <databaseUrl> <exportDir> <month>
import { createPool } from '../../eventstore';
import { exportMonth } from '../../projections/parquet';

const [url, exportDir, month] = process.argv.slice(2);
if (!url || !exportDir || !month) throw new Error('usage: export-once.ts <url> <dir> <month>');
const pool = createPool(url, 2);
const started = performance.now();
let pages = 0;
// Seconds from the start until each partition was staged (its Parquet file written).
const staged: Record<string, number> = {};
const summary = await exportMonth({ pool, exportDir, timeZone: 'UTC' }, month, {
  onProgress: (p) => {
    pages++;
    for (const dir of p.staged) staged[dir] ??= (performance.now() - started) / 1000;
  },
});
const ms = performance.now() - started;
await pool.end();
console.log(
  JSON.stringify({
    ms,
    pages,
    staged,
    maxRssKiB: process.resourceUsage().maxRSS,
    partitions: summary.partitions,
  }),
);
