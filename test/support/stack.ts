import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

/** Stops or starts one service of the local stack, as an operator would. */
export async function stack(
  action: 'up' | 'down',
  service: 'elasticsearch' | 'redis' | 'postgres' | 'temporal',
) {
  await run('bash', ['scripts/stack.sh', action, service], { cwd: root, timeout: 240_000 });
}
