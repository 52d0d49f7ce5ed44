// `npm run bench`: every scenario, one after the other (never two at once: they share the
// machine's cores with the servers), each in its own process; each prints its tables and
// writes bench/results/<scenario>.json. BENCHMARKS.md explains what they measure.
//
//   npm run bench [-- <scenario>…] [--quick | --smoke] [scenario flags…]
//
// No scenario named: all but revision-ab (it needs --base). --quick: the short version
// (minutes). --smoke: the smallest run of each, to check the benchmarks still work (~6 min).
// Other flags go to every scenario named, e.g. `npm run bench -- command-path --seconds 20`.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCENARIOS: { name: string; smoke: string[]; namedOnly?: boolean }[] = [
  {
    name: 'temporal-floor',
    smoke: ['--rounds', '1', '--workflows', '20', '--servers', 'sqlite,memory'],
  },
  // Before command-path: its report loads read the data set this one leaves.
  {
    name: 'reports-at-scale',
    smoke: [
      '--quick',
      '--orders',
      '3000',
      '--seconds',
      '1',
      '--limits',
      '2000',
      '--quiet-wait',
      '0',
      '--rollup-months',
      '1',
    ],
  },
  {
    name: 'command-path',
    smoke: [
      '--quick',
      '--seconds',
      '5',
      '--warmup',
      '2',
      '--connections',
      '4',
      '--servers',
      'sqlite',
    ],
  },
  { name: 'parquet-export', smoke: ['--events', '2000,10000', '--quiet-wait', '0'] },
  { name: 'observability-overhead', smoke: ['--rounds', '1', '--seconds', '5', '--clients', '4'] },
  { name: 'webhook-delivery', smoke: ['--rounds', '1', '--seconds', '5', '--clients', '4'] },
  {
    name: 'revision-ab',
    smoke: ['--rounds', '1', '--seconds', '5', '--clients', '4'],
    namedOnly: true,
  },
];

const args = process.argv.slice(2);
// `--only=<part of a name>` as before: one scenario.
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const named = SCENARIOS.filter((s) => args.includes(s.name) || (only && s.name.includes(only))).map(
  (s) => s.name,
);
const smoke = args.includes('--smoke');
const passed = args.filter(
  (a) => !named.includes(a) && a !== '--smoke' && !a.startsWith('--only='),
);
const chosen = SCENARIOS.filter((s) => (named.length ? named.includes(s.name) : !s.namedOnly));
const unknown = passed.find(
  (a) => !a.startsWith('-') && args[args.indexOf(a) - 1]?.startsWith('--') !== true,
);
if (unknown)
  throw new Error(`no scenario "${unknown}": ${SCENARIOS.map((s) => s.name).join(', ')}`);

let failed = 0;
for (const s of chosen) {
  const file = `bench/${s.name}.ts`;
  const scenarioArgs = [...(smoke ? s.smoke : []), ...passed];
  console.log(`\n=== ${s.name} ${scenarioArgs.join(' ')} ===\n`);
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', file, ...scenarioArgs], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { LOG_LEVEL: 'warn', ...process.env },
    stdio: 'inherit',
  });
  console.log(
    `\n--- ${s.name}: exit ${r.status} after ${Math.round((Date.now() - started) / 1000)} s`,
  );
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
