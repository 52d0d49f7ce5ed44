import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createOrdersClient, type OrdersClient } from '../../api/client';
import { TOKENS } from './app';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** An entry point (`api/main.ts`, `scripts/app.ts`) run as the user runs it, in its own process. */
export interface AppProcess {
  url: string;
  child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  client(role: keyof typeof TOKENS): OrdersClient;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startAppProcess(
  entry: string,
  env: Record<string, string>,
  readyTimeoutMs = 60_000,
): Promise<AppProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: root,
    env: {
      ...process.env,
      API_PORT: '0',
      LOG_LEVEL: 'info',
      APPLY_SCHEDULES: 'false',
      // Beside a running `npm start`: metrics on ports of their own (0: any free one).
      METRICS_PORT: '0',
      TEMPORAL_METRICS_PORT: '0',
      API_TOKENS: Object.entries(TOKENS)
        .map(([r, t]) => `${r}:${t}`)
        .join(','),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${entry} did not listen within ${readyTimeoutMs} ms:\n${output}`)),
      readyTimeoutMs,
    );
    const look = () => {
      const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        child.stdout?.off('data', look);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', look);
    void exited.then((code) => reject(new Error(`${entry} exited with ${code}:\n${output}`)));
  });
  return {
    url,
    child,
    output: () => output,
    client: (role) => createOrdersClient({ url: `${url}/trpc`, token: TOKENS[role] }),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
