// Where a process's CPU went, by area, from a V8 CPU profile (`node --cpu-prof`): self time
// of every sampled function, grouped by the package or project folder its script is in.
//
//   npx tsx bench/harness/cpu-profile.ts <file.cpuprofile> [--top 15]
//
// To profile the app under a benchmark, run the benchmark with
// NODE_OPTIONS="--cpu-prof --cpu-prof-dir=DIR": every Node process it starts writes a profile
// when it exits (the app's is the one named with its pid).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Areas in the order they are tried: the first whose pattern matches a script's URL wins. */
const AREAS: [string, RegExp][] = [
  ['temporal sdk (client, worker, workflow sandbox)', /node_modules\/@temporalio\//],
  ['grpc / protobuf', /node_modules\/(@grpc|protobufjs|long)\//],
  ['http: fastify', /node_modules\/(fastify|@fastify|find-my-way|light-my-request|avvio)/],
  ['trpc', /node_modules\/@trpc\//],
  ['zod', /node_modules\/zod\//],
  ['logging: pino', /node_modules\/(pino|sonic-boom|thread-stream)/],
  ['tracing: opentelemetry', /node_modules\/@opentelemetry\//],
  ['metrics: prom-client', /node_modules\/prom-client\//],
  ['postgres: pg', /node_modules\/(pg|pg-protocol|pg-pool|pg-types)\//],
  ['redis: ioredis', /node_modules\/(ioredis|redis-parser|@ioredis)\//],
  ['elasticsearch client', /node_modules\/@elastic\//],
  ['tsx loader', /node_modules\/(tsx|esbuild|get-tsconfig)\//],
  ['other packages', /node_modules\//],
  ['project: api', /\/api\//],
  ['project: activities', /\/activities\//],
  ['project: workflows', /\/workflows\//],
  ['project: projections', /\/projections\//],
  ['project: eventstore', /\/eventstore\//],
  ['project: domain', /\/domain\//],
  ['project: runtime', /\/runtime\//],
  ['project: other', /\/(contracts|config|temporal|scripts|bench)\//],
  ['node internals', /^node:|^internal\//],
];

function areaOf(frame: ProfileNode['callFrame']): string {
  if (!frame.url) {
    const name = frame.functionName;
    if (name === '(idle)') return '(idle)';
    if (name === '(garbage collector)') return 'garbage collector';
    if (name === '(program)') return '(program: native, not attributed)';
    return 'native / builtins';
  }
  for (const [area, pattern] of AREAS) if (pattern.test(frame.url)) return area;
  return 'other scripts';
}

/** Milliseconds of self time per area, busiest first, and the busy total (idle excluded). */
export function profileByArea(path: string): { area: string; ms: number; share: number }[] {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const area = new Map(profile.nodes.map((n) => [n.id, areaOf(n.callFrame)]));
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const key = area.get(id) ?? 'unknown';
    totals.set(key, (totals.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  totals.delete('(idle)');
  const busy = [...totals.values()].reduce((a, b) => a + b, 0);
  return [...totals]
    .map(([a, ms]) => ({ area: a, ms: Math.round(ms), share: busy > 0 ? ms / busy : 0 }))
    .sort((a, b) => b.ms - a.ms);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file] = process.argv.slice(2);
  if (!file) throw new Error('usage: cpu-profile.ts <file.cpuprofile>');
  const rows = profileByArea(file);
  const busy = rows.reduce((a, r) => a + r.ms, 0);
  console.log(`${file}: ${busy} ms busy (idle excluded)`);
  for (const r of rows) {
    console.log(
      `  ${(r.share * 100).toFixed(1).padStart(5)} %  ${String(r.ms).padStart(7)} ms  ${r.area}`,
    );
  }
}
