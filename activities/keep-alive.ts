import { asyncLocalStorage, type Context } from '@temporalio/activity';

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
  const beat = () => context.heartbeat(progress.get(context));
  beat();
  const timer = setInterval(beat, HEARTBEAT_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** What each running activity has reported done: sent with every heartbeat. */
const progress = new WeakMap<Context, unknown>();

/**
 * Records how far the running activity got, sent with its heartbeats: a retry (on another
 * worker, after this one died) reads it back as `heartbeatDetails` and resumes there.
 * Outside an activity it does nothing.
 */
export function recordProgress(details: unknown): void {
  const context = asyncLocalStorage.getStore();
  if (!context) return;
  progress.set(context, details);
  context.heartbeat(details);
}

/** What an earlier attempt of the running activity recorded, if any. */
export function earlierProgress<T>(): T | undefined {
  return asyncLocalStorage.getStore()?.info.heartbeatDetails as T | undefined;
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
