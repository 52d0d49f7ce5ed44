import { readdir, readFile } from 'node:fs/promises';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowBundle } from '../temporal/worker';

const DIR = new URL('./histories/', import.meta.url);

describe('workflow replay', () => {
  it('replays every recorded history with the current workflow code', async () => {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    const files = (await readdir(DIR)).filter((f) => f.endsWith('.json')).sort();
    expect(files.length).toBeGreaterThanOrEqual(4);
    const histories = await Promise.all(
      files.map(async (f) => ({
        workflowId: f,
        history: historyFromJSON(JSON.parse(await readFile(new URL(f, DIR), 'utf8'))),
      })),
    );
    const results = Worker.runReplayHistories(
      { workflowBundle: await workflowBundle() },
      histories,
    );
    const failures: string[] = [];
    let replayed = 0;
    for await (const r of results) {
      replayed++;
      if (r.error) failures.push(`${r.workflowId}: ${r.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(files.length);
  });
});
