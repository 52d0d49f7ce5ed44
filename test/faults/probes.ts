import type { ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { config } from '../../config/env';
import { type StackService, stack } from '../support/stack';

/** Where each service of the test environment listens (from the app's own settings). */
export function endpointOf(service: StackService): { host: string; port: number } {
  const c = config();
  if (service === 'temporal') {
    const [host = '127.0.0.1', port = '7233'] = c.TEMPORAL_ADDRESS.split(':');
    return { host, port: Number(port) };
  }
  const url = new URL(
    service === 'postgres'
      ? c.DATABASE_URL
      : service === 'redis'
        ? c.REDIS_URL
        : c.ELASTICSEARCH_URL,
  );
  return { host: url.hostname, port: Number(url.port) };
}

/** Whether something accepts TCP connections at the service's address right now. */
export function accepts(service: StackService): Promise<boolean> {
  const { host, port } = endpointOf(service);
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(2_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Stops a service and keeps it down for `ms`, proving every half second that it really
 * refuses connections; then starts it and proves it accepts them again.
 */
export async function outage(
  service: StackService,
  ms: number,
  during?: () => Promise<void>,
): Promise<void> {
  await stack('down', service);
  const until = Date.now() + ms;
  let probes = 0;
  // What the case checks while the service is down runs next to the probes; a failure
  // is reported after the service is back, so the next case starts on a whole stack.
  const check = (during?.() ?? Promise.resolve()).then(
    () => undefined,
    (err: unknown) => err,
  );
  let failure: unknown;
  try {
    while (Date.now() < until) {
      if (await accepts(service)) {
        throw new Error(
          `${service} accepted a connection during its outage: the fault took no effect`,
        );
      }
      probes++;
      await sleep(500);
    }
    if (probes < Math.floor(ms / 1_000)) throw new Error(`${service}: too few probes (${probes})`);
    failure = await check;
  } finally {
    // Whatever failed, the next case starts on a whole stack.
    await stack('up', service);
  }
  if (!(await accepts(service))) throw new Error(`${service} did not come back`);
  if (failure) throw failure;
}

/** Kills a child process with SIGKILL and proves it is gone. */
export async function killHard(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null) throw new Error('the process is not running');
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_code, signal) => resolve(signal)),
  );
  child.kill('SIGKILL');
  const signal = await exited;
  if (signal !== 'SIGKILL') throw new Error(`process ${pid} ended with ${signal}, not SIGKILL`);
  try {
    process.kill(pid, 0);
    throw new Error(`process ${pid} still exists after SIGKILL`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
