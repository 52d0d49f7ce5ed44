// Where a process's CPU went, by area, from a V8 CPU profile (`node --cpu-prof`): self time
// of every sampled function, grouped by the package or project folder its script is in.
//
//   npx tsx bench/harness/cpu-profile.ts <file.cpuprofile> [--between FROM,TO]
//
// --between: only the samples FROM..TO seconds after the profile began (the load's window,
// not the start-up). Time in Node's own code (streams, sockets, timers) and in builtins is
// counted for the package or project code that called it.
//
// To profile the app under a benchmark, run the benchmark with
// NODE_OPTIONS="--cpu-prof --cpu-prof-dir=DIR": every Node process it starts writes a profile
// when it exits (the app's is the one named with its pid).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
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
];

/** Node's own scripts: their time goes to whoever called them. */
const NODE_INTERNAL = /^node:|^internal\//;

/** The frame's own area, or undefined for Node's own code and builtins (their caller's). */
function ownArea(frame: ProfileNode['callFrame']): string | undefined {
  if (!frame.url) {
    const name = frame.functionName;
    if (name === '(idle)') return '(idle)';
    if (name === '(garbage collector)') return 'garbage collector';
    if (name === '(program)') return '(program: native, not attributed)';
    if (name === '(root)') return 'node internals (no caller in a package)';
    return undefined;
  }
  if (NODE_INTERNAL.test(frame.url)) return undefined;
  for (const [area, pattern] of AREAS) if (pattern.test(frame.url)) return area;
  return 'other scripts';
}

/** Milliseconds of self time per area, busiest first (idle excluded). */
export function profileByArea(
  path: string,
  between?: [number, number],
): { area: string; ms: number; share: number }[] {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const areas = new Map<number, string>();
  const areaOf = (id: number): string => {
    const known = areas.get(id);
    if (known) return known;
    const node = byId.get(id);
    const up = parent.get(id);
    const area =
      (node && ownArea(node.callFrame)) ??
      (up === undefined ? 'node internals (no caller in a package)' : areaOf(up));
    areas.set(id, area);
    return area;
  };
  const totals = new Map<string, number>();
  let at = 0;
  profile.samples.forEach((id, i) => {
    const delta = (profile.timeDeltas[i] ?? 0) / 1000;
    at += delta;
    if (between && (at < between[0] * 1000 || at > between[1] * 1000)) return;
    const key = areaOf(id);
    totals.set(key, (totals.get(key) ?? 0) + delta);
  });
  totals.delete('(idle)');
  const busy = [...totals.values()].reduce((a, b) => a + b, 0);
  return [...totals]
    .map(([a, ms]) => ({ area: a, ms: Math.round(ms), share: busy > 0 ? ms / busy : 0 }))
    .sort((a, b) => b.ms - a.ms);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, flag, range] = process.argv.slice(2);
  if (!file) throw new Error('usage: cpu-profile.ts <file.cpuprofile> [--between FROM,TO]');
  const between =
    flag === '--between' && range ? (range.split(',').map(Number) as [number, number]) : undefined;
  const rows = profileByArea(file, between);
  const busy = rows.reduce((a, r) => a + r.ms, 0);
  console.log(`${file}: ${busy} ms busy (idle excluded)`);
  for (const r of rows) {
    console.log(
      `  ${(r.share * 100).toFixed(1).padStart(5)} %  ${String(r.ms).padStart(7)} ms  ${r.area}`,
    );
  }
}
