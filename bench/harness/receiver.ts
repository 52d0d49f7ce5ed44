// The benchmarks' webhook receiver (receiver-main.ts) as a child process, and its counts.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { onCleanup } from './cleanups';

const MAIN = fileURLToPath(new URL('./receiver-main.ts', import.meta.url));

export interface HookStats {
  count: number;
  lagsMs: number[];
  /** Epoch ms of the last first arrival. */
  lastAt: number;
}

export interface Receiver {
  /** The URL deliveries for `name` go to. */
  urlOf(name: string): string;
  stats(name: string): Promise<HookStats>;
  /** First arrivals over all of `names`. */
  received(names: string[]): Promise<number>;
}

export async function startReceiver(): Promise<Receiver> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  onCleanup(async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await once(child, 'exit');
  });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`receiver not up: ${out}`)), 30_000);
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const found = /receiver (\d+)/.exec(out)?.[1];
      if (!found) return;
      clearTimeout(timer);
      resolve(Number(found));
    });
  });
  const base = `http://127.0.0.1:${port}`;
  const stats = async (name: string) =>
    (await (await fetch(`${base}/stats/${name}`)).json()) as HookStats;
  return {
    urlOf: (name) => `${base}/${name}`,
    stats,
    async received(names) {
      const all = await Promise.all(names.map(stats));
      return all.reduce((n, s) => n + s.count, 0);
    },
  };
}
