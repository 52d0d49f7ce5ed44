import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The floors of the product code, from the ground up (docs/architecture.md, "Layers"): a
// folder imports only folders below it, so no import runs up a floor and no two folders
// import each other. `config/` is the environment and imports nothing of ours. The
// entry points (scripts/, bench/, test/, web/) stand outside and may import any floor.
// Pure: reads the source, needs no server.

const FLOORS = [
  'config',
  'domain',
  'eventstore',
  'contracts',
  'projections',
  'runtime',
  'activities',
  'workflows',
  'temporal',
  'api',
] as const;

/** A read model's inside is reached through its front door (its index.ts) only. */
const FRONT_DOORS = ['projections/elasticsearch', 'projections/parquet', 'projections/redis'];

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir)).flatMap((name) => {
    const rel = `${dir}/${name}`;
    if (statSync(path.join(ROOT, rel)).isDirectory()) return sourceFiles(rel);
    return rel.endsWith('.ts') ? [rel] : [];
  });
}

interface Import {
  from: string;
  /** Repository path of the imported module, without extension or trailing /index. */
  to: string;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/g;

function importsOf(file: string): Import[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => ({
    from: file,
    to: path.posix
      .join(path.posix.dirname(file), m[1] ?? '')
      .replace(/\.(js|ts)$/, '')
      .replace(/\/index$/, ''),
  }));
}

const floorOf = (p: string): number => FLOORS.indexOf(p.split('/')[0] as (typeof FLOORS)[number]);
const IMPORTS = FLOORS.flatMap((floor) => sourceFiles(floor)).flatMap(importsOf);

describe('layers', () => {
  it('given the product folders, when one imports another, then only a lower floor', () => {
    const upward = IMPORTS.filter(({ from, to }) => floorOf(to) > floorOf(from)).map(
      ({ from, to }) => `${from} → ${to}`,
    );
    expect(upward).toEqual([]);
  });

  it('given config/, then it imports nothing of the project but itself', () => {
    const outward = IMPORTS.filter(
      ({ from, to }) => from.startsWith('config/') && !to.startsWith('config/'),
    );
    expect(outward).toEqual([]);
  });

  it('given a read model, then code outside it imports only its front door', () => {
    const inward = IMPORTS.filter(({ from, to }) =>
      FRONT_DOORS.some((door) => to.startsWith(`${door}/`) && !from.startsWith(`${door}/`)),
    ).map(({ from, to }) => `${from} → ${to}`);
    expect(inward).toEqual([]);
  });

  it('given the product folders, then none imports an entry point (bench/, scripts/, test/, web/)', () => {
    const outward = IMPORTS.filter(({ to }) => floorOf(to) === -1).map(
      ({ from, to }) => `${from} → ${to}`,
    );
    expect(outward).toEqual([]);
  });

  it('sees the imports it checks (a parser that found none would pass anything)', () => {
    expect(IMPORTS.length).toBeGreaterThan(200);
    expect(IMPORTS).toContainEqual({ from: 'api/router.ts', to: 'api/trpc' });
  });
});
