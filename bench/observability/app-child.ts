// `npm start`'s process (scripts/app.ts: the API and every worker in one process), run as a
// child with a mode's environment, on the bench's own data and task queues.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const READY_TIMEOUT_MS = 120_000;

export interface AppChild {
  pid: number;
  /** The API's tRPC base URL. */
  trpcUrl: string;
  stop(): Promise<number | null>;
}

/** `cwd`: the checkout whose scripts/app.ts runs (another revision, for an A/B bench). */
export async function startAppChild(
  env: Record<string, string>,
  cwd: string = root,
): Promise<AppChild> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'scripts/app.ts'], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const trpcUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`scripts/app.ts not up within ${READY_TIMEOUT_MS} ms:\n${output}`)),
      READY_TIMEOUT_MS,
    );
    const look = () => {
      const match = /API\s+(http:\/\/\S+\/trpc)/.exec(output);
      if (!match?.[1]) return;
      clearTimeout(timer);
      resolve(match[1]);
    };
    child.stdout?.on('data', look);
    void exited.then((code) => reject(new Error(`scripts/app.ts exited ${code}:\n${output}`)));
  });
  return {
    pid: child.pid ?? 0,
    trpcUrl,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
