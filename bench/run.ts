// `npm run bench [-- --quick]`: every benchmark, one after the other (never two at once:
// they share this machine's two cores with the servers). Each prints its tables and writes
// JSON under bench/results/; BENCHMARKS.md explains them.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const quick = process.argv.includes('--quick');
const root = fileURLToPath(new URL('..', import.meta.url));

const scenarios: { name: string; file: string; args: string[] }[] = [
  {
    name: 'Temporal floor (one-activity workflow)',
    file: 'bench/temporal-floor.ts',
    args: quick ? ['--rounds', '1', '--workflows', '100'] : [],
  },
  // Before the command path: its command-sql-report scenario queries the orders/order_items
  // tables this one leaves in orders_bench.
  {
    name: 'Reports at scale and rebuild throughput',
    file: 'bench/reports-at-scale.ts',
    args: quick ? ['--quick'] : [],
  },
  {
    name: 'Command path, engine floor, projection lag',
    file: 'bench/command-path.ts',
    args: quick ? ['--quick'] : [],
  },
  {
    name: 'Metrics and traces on vs off (command path)',
    file: 'bench/observability-overhead.ts',
    args: quick ? ['--quick'] : [],
  },
];

const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
let failed = 0;
for (const s of scenarios) {
  if (only && !s.file.includes(only)) continue;
  console.log(`\n=== ${s.name} (${s.file}${quick ? ', quick' : ''}) ===\n`);
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', s.file, ...s.args], {
    cwd: root,
    stdio: 'inherit',
  });
  console.log(
    `\n--- ${s.name}: exit ${r.status} after ${Math.round((Date.now() - started) / 1000)} s`,
  );
  if (r.status !== 0) failed++;
}
process.exitCode = failed === 0 ? 0 : 1;
