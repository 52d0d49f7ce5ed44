import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

export type StackService = 'elasticsearch' | 'redis' | 'postgres' | 'temporal';

// The app's URLs tell scripts/stack.sh "external server: check it, never start or stop it",
// so a fault test that passed them on injected nothing. The stack is addressed by its own
// settings instead (STACK_DATA_DIR, STACK_PORT_OFFSET), which scripts/test-faults.sh sets.
const APP_URLS = ['DATABASE_URL', 'REDIS_URL', 'ELASTICSEARCH_URL', 'TEMPORAL_ADDRESS'];

function stackEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of APP_URLS) delete env[name];
  return env;
}

/**
 * Stops or starts one service of the local stack, as an operator would. Stopping is for
 * the fault suite only: it runs on a stack of its own, never the one `npm start` uses.
 */
export async function stack(action: 'up' | 'down', service: StackService): Promise<void> {
  if (action === 'down' && process.env.FAULT_STACK !== '1') {
    throw new Error(
      `refusing to stop ${service}: only the fault suite (npm run test:faults) stops servers`,
    );
  }
  await run('bash', ['scripts/stack.sh', action, service], {
    cwd: root,
    env: stackEnv(),
    timeout: 240_000,
  });
}
