import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The receiver process of test/fixtures/webhook-receiver.mjs, driven from a test.

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Received {
  id: string;
  timestamp: string;
  signature: string;
  contentType: string;
  method: string;
  body: {
    type: string;
    timestamp: string;
    data: { orderId: string; version: number; position: number } & Record<string, unknown>;
  };
  /** Indexes of the configured secrets that verified it (standardwebhooks). */
  verifiedWith: number[];
  answered: number;
  at: number;
}

export interface Receiver {
  port: number;
  url(hook: string): string;
  control(
    hook: string,
    settings: { secrets?: string[]; status?: number; retryAfter?: number | null; delayMs?: number },
  ): Promise<void>;
  /** Every request to /<hook> answered so far, in arrival order, across restarts. */
  received(hook: string): Promise<Received[]>;
  /** SIGKILLs the process: its port refuses connections until `restart`. */
  kill(): Promise<void>;
  /** A new process on the same port, answering as it was told; what was received is kept. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function spawnReceiver(
  port: number,
  log: string,
  controls: Record<string, unknown> = {},
): Promise<{ child: ChildProcess; port: number }> {
  const args = ['test/fixtures/webhook-receiver.mjs', String(port), log, JSON.stringify(controls)];
  const child = spawn(process.execPath, args, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const listening = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('receiver did not start in 10 s')), 10_000);
    child.stdout?.once('data', (chunk: Buffer) => {
      clearTimeout(timer);
      resolve((JSON.parse(chunk.toString()) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`receiver exited with ${code}`)));
  });
  return { child, port: listening };
}

export async function startReceiver(): Promise<Receiver> {
  const dir = mkdtempSync(join(tmpdir(), 'webhook-receiver-'));
  const log = join(dir, 'received.jsonl');
  let { child, port } = await spawnReceiver(0, log);
  // What each hook was told, for a restarted process to answer the same way from the start.
  const controls: Record<string, Record<string, unknown>> = {};
  const base = () => `http://127.0.0.1:${port}`;
  const exited = (c: ChildProcess) =>
    c.exitCode !== null || c.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => c.once('exit', () => resolve()));
  return {
    get port() {
      return port;
    },
    url: (hook) => `${base()}/${hook}`,
    async control(hook, settings) {
      controls[hook] = { ...controls[hook], ...settings };
      const res = await fetch(`${base()}/_control/${hook}`, {
        method: 'PUT',
        body: JSON.stringify(settings),
      });
      if (res.status !== 204) throw new Error(`receiver control answered ${res.status}`);
    },
    async received(hook) {
      let text = '';
      try {
        text = readFileSync(log, 'utf8');
      } catch {
        return [];
      }
      return text
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as Received & { hook: string })
        .filter((r) => r.hook === hook);
    },
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
    async restart() {
      ({ child, port } = await spawnReceiver(port, log, controls));
    },
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The first arrival of each webhook-id, in arrival order (later ones are retries). */
export function firstArrivals(received: Received[]): Received[] {
  const seen = new Set<string>();
  return received.filter((r) => !seen.has(r.id) && seen.add(r.id));
}

/** Orders whose events did not first arrive in version order 1, 2, 3, … */
export function outOfOrder(received: Received[]): string[] {
  const versions = new Map<string, number[]>();
  for (const r of firstArrivals(received)) {
    const list = versions.get(r.body.data.orderId) ?? [];
    list.push(r.body.data.version);
    versions.set(r.body.data.orderId, list);
  }
  return [...versions].filter(([, v]) => v.some((x, i) => x !== i + 1)).map(([id]) => id);
}
