import { asyncLocalStorage } from '@temporalio/activity';

/** How often a long activity tells Temporal its worker is alive; well under the timeout. */
const HEARTBEAT_EVERY_MS = 1_000;

/**
 * Runs `work` while heartbeating, so a worker that dies mid-activity (SIGKILL, lost host)
 * is noticed after the caller's heartbeat timeout instead of the whole start-to-close
 * timeout, and the retry runs on another worker within seconds. Outside an activity (a
 * script or test calling the function directly) it just runs `work`.
 */
export async function whileHeartbeating<T>(work: () => Promise<T>): Promise<T> {
  const context = asyncLocalStorage.getStore();
  if (!context) return work();
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: any argument list, checked by the caller's type
type AsyncFunctions = Record<string, (...args: any[]) => Promise<unknown>>;

/** The same activities, each run under `whileHeartbeating`. */
export function heartbeating<T extends AsyncFunctions>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      (...args: unknown[]) => whileHeartbeating(() => fn(...args)),
    ]),
  ) as T;
}
