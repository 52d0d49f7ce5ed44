import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  Worker,
  type WorkflowBundle,
} from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { workflowBundle } from '../temporal/worker';
import { type HistoryFacts, historyFacts } from './support/history-facts';

// Histories are recorded with `npm run record-histories -- <case>` (test/support/record-histories.ts).
const HISTORIES = new URL('./histories/', import.meta.url);
const WORKFLOWS = new URL('../workflows/', import.meta.url);
const REPO = fileURLToPath(new URL('../', import.meta.url));

interface Recorded {
  file: string;
  json: string;
  facts: HistoryFacts;
}

let recorded: Recorded[] = [];
beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const files = (await readdir(HISTORIES)).filter((f) => f.endsWith('.json')).sort();
  recorded = await Promise.all(
    files.map(async (file) => {
      const json = await readFile(new URL(file, HISTORIES), 'utf8');
      return { file, json, facts: historyFacts(json) };
    }),
  );
});

/** Replays each history with `bundle`; the file names of those that fail, with the reason. */
async function replayFailures(
  bundle: WorkflowBundle,
  histories: Recorded[],
): Promise<{ failures: Map<string, string>; replayed: number }> {
  const results = Worker.runReplayHistories(
    { workflowBundle: bundle },
    histories.map((h) => ({ workflowId: h.file, history: historyFromJSON(JSON.parse(h.json)) })),
  );
  const failures = new Map<string, string>();
  let replayed = 0;
  for await (const r of results) {
    replayed++;
    if (r.error) failures.set(r.workflowId, r.error.message);
  }
  return { failures, replayed };
}

/** Every patch id the workflow code uses, with the number of call sites that name none literally. */
async function patchIdsInWorkflowCode(): Promise<{ ids: string[]; unnamed: string[] }> {
  const ids = new Set<string>();
  const unnamed: string[] = [];
  for (const file of (await readdir(WORKFLOWS)).filter((f) => f.endsWith('.ts'))) {
    const source = await readFile(new URL(file, WORKFLOWS), 'utf8');
    const calls = source.match(/\b(?:patched|deprecatePatch)\s*\(/g) ?? [];
    const named = [
      ...source.matchAll(/\b(?:patched|deprecatePatch)\s*\(\s*(['"`])([^'"`]+)\1\s*\)/g),
    ];
    for (const m of named) ids.add(m[2] ?? '');
    if (calls.length !== named.length) unnamed.push(file);
  }
  return { ids: [...ids].sort(), unnamed };
}

/**
 * The workflow code with `patchId` taken whatever the history says: `patched` of
 * @temporalio/workflow is swapped for one that answers true for that id.
 */
async function bundleWithPatchForced(patchId: string): Promise<WorkflowBundle> {
  const dir = await mkdtemp(join(tmpdir(), 'replay-patch-forced-'));
  try {
    const shim = join(dir, 'workflow-with-patch-forced.js');
    const real = '@temporalio/workflow/lib/index.js';
    await writeFile(
      shim,
      [
        `export * from '${real}';`,
        `import { patched as recordedPatched, deprecatePatch as recordedDeprecate } from '${real}';`,
        `const FORCED = ${JSON.stringify(patchId)};`,
        // The real calls still run: they match the markers a history has.
        'export function patched(id) { return recordedPatched(id) || id === FORCED; }',
        'export function deprecatePatch(id) { recordedDeprecate(id); }',
      ].join('\n'),
    );
    return await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('index.ts', WORKFLOWS)),
      logger: {
        log: () => undefined,
        trace: () => undefined,
        debug: () => undefined,
        info: () => undefined,
        warn: (message) => console.warn(message),
        error: (message) => console.error(message),
      },
      webpackConfigHook: (webpack) => ({
        ...webpack,
        resolve: {
          ...webpack.resolve,
          alias: { ...webpack.resolve?.alias, '@temporalio/workflow$': shim },
          modules: [...(webpack.resolve?.modules ?? ['node_modules']), join(REPO, 'node_modules')],
        },
      }),
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('workflow replay', () => {
  it('replays every recorded history with the current workflow code', async () => {
    expect(recorded.length).toBeGreaterThanOrEqual(4);
    const { failures, replayed } = await replayFailures(await workflowBundle(), recorded);
    expect([...failures].map(([file, error]) => `${file}: ${error}`)).toEqual([]);
    expect(replayed).toBe(recorded.length);
  });
});

describe('recorded histories cover the workflow code', () => {
  it('every workflow exported from workflows/index.ts has a recorded history', async () => {
    const exported = Object.entries(await import('../workflows/index'))
      .filter(([, value]) => typeof value === 'function')
      .map(([name]) => name);
    expect(exported.length).toBeGreaterThan(0);
    const types = new Set(recorded.map((h) => h.facts.workflowType));
    expect(exported.filter((name) => !types.has(name))).toEqual([]);
  });

  it('every patch has a history of its workflow with its marker and one without', async () => {
    const { ids, unnamed } = await patchIdsInWorkflowCode();
    // A patch id that is not a literal would be missed by the check below.
    expect(unnamed).toEqual([]);
    const missing: string[] = [];
    for (const id of ids) {
      const withMarker = recorded.filter((h) => h.facts.patches.includes(id));
      if (withMarker.length === 0) missing.push(`${id}: no history with its marker`);
      for (const type of new Set(withMarker.map((h) => h.facts.workflowType))) {
        const without = recorded.filter(
          (h) => h.facts.workflowType === type && !h.facts.patches.includes(id),
        );
        if (without.length === 0) missing.push(`${id}: no ${type} history without its marker`);
      }
    }
    expect(missing).toEqual([]);
  });

  // A history without the marker may never have reached the patch (a refused command, a
  // Redis rebuild): at least one must diverge when the patch is forced, else the old
  // branch is not covered.
  it('each patch has a history without its marker that takes the old branch', async () => {
    const { ids } = await patchIdsInWorkflowCode();
    const uncovered: string[] = [];
    for (const id of ids) {
      const types = new Set(
        recorded.filter((h) => h.facts.patches.includes(id)).map((h) => h.facts.workflowType),
      );
      const oldSide = recorded.filter(
        (h) => types.has(h.facts.workflowType) && !h.facts.patches.includes(id),
      );
      const forced = await bundleWithPatchForced(id);
      // The forcing itself changes nothing where the patch was taken.
      const newSide = recorded.filter((h) => h.facts.patches.includes(id));
      expect([...(await replayFailures(forced, newSide)).failures]).toEqual([]);
      const { failures, replayed } = await replayFailures(forced, oldSide);
      expect(replayed).toBe(oldSide.length);
      if (failures.size === 0) uncovered.push(`${id}: ${oldSide.map((h) => h.file).join(', ')}`);
    }
    expect(uncovered).toEqual([]);
  }, 120_000);
});
