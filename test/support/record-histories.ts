// Records workflow histories for the replay test (test/histories/*.json), one file per case:
//   npm run record-histories -- [--force] [case...]
// With no case named, every case is recorded. A case whose file exists is refused (nothing
// is recorded) unless --force is given: re-record only on purpose. A workflow change meant
// to be incompatible ships with new workflow names or patches, and the old histories must
// still replay. The script's environment (package.json) keeps recordings apart from a
// running app: their own task queues, index and key prefixes; DATABASE_URL and REDIS_URL
// default to the test database and Redis db 1 when not set.
//
// The cases live in test/support/record-histories/, one module per workflow family.
//
// It bundles the workflow code of the tree it runs in, so record from a clean checkout of
// the commit the histories are for (e.g. `git archive HEAD` into a folder, node_modules
// linked; set GIT_DIR to this repository's .git there: the
// rebuild-elasticsearch-before-batch-size-5000 case reads the pre-patch workflow from git).
//
// Each case runs real commands and workflows against the real stack, then checks that the
// history shows what the case is for (e.g. two loadOrder calls after a version conflict)
// before it writes the file.
import { access, writeFile } from 'node:fs/promises';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { config } from '../../config/env';
import { createPool, migrate } from '../../eventstore';
import { historyFacts } from './history-facts';
import { startRecordingEnv } from './record-env';
import { CASES, FROZEN } from './record-histories/cases';
import { freshProjectors } from './record-histories/fresh-projectors';

const HISTORIES = new URL('../histories/', import.meta.url);

async function exists(url: URL): Promise<boolean> {
  return access(url).then(
    () => true,
    () => false,
  );
}

const args = process.argv.slice(2);
const force = args.includes('--force');
const names = args.filter((a) => a !== '--force');
const frozen = names.filter((n) => n in FROZEN);
if (frozen.length > 0) {
  console.error(
    `cannot re-record ${frozen.join(', ')}: recorded by orderCommandWorkflow with per-command projections, which the API no longer starts`,
  );
  process.exit(2);
}
const unknown = names.filter((n) => !(n in CASES));
if (unknown.length > 0) {
  console.error(`unknown case(s): ${unknown.join(', ')}; cases: ${Object.keys(CASES).join(', ')}`);
  process.exit(2);
}
const selected = names.length > 0 ? names : Object.keys(CASES);
if (!force) {
  const taken: string[] = [];
  for (const name of selected) {
    const file = CASES[name]?.file ?? '';
    if (await exists(new URL(file, HISTORIES))) taken.push(`${name} (${file})`);
  }
  if (taken.length > 0) {
    console.error(`refusing to overwrite: ${taken.join(', ')}; pass --force to re-record`);
    process.exit(1);
  }
}

const migrationPool = createPool(config().DATABASE_URL, 1);
await migrate(migrationPool).finally(() => migrationPool.end());
await freshProjectors();
const env = await startRecordingEnv();
try {
  for (const name of selected) {
    const recordCase = CASES[name];
    if (!recordCase) continue;
    const handle = await recordCase.run(env);
    if (!recordCase.running) await handle.result();
    const json = historyToJSON(await handle.fetchHistory());
    recordCase.check(historyFacts(json));
    await writeFile(new URL(recordCase.file, HISTORIES), json, { flag: force ? 'w' : 'wx' });
    console.log(`recorded ${name}: test/histories/${recordCase.file}`);
  }
} finally {
  await env.stop();
  // The projectors never end by themselves: leave none running for the next recording.
  await freshProjectors();
}
