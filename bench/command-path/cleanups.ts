// Cleanup on every exit path: what the bench starts (servers, workers, HTTP servers,
// clients) registers its stop here; a signal runs them all, newest first, then exits.

const cleanups: (() => Promise<void>)[] = [];
let interrupted = false;

/** Registers a stop to run at the end (or on a signal), before those registered earlier. */
export function onCleanup(stop: () => Promise<void>): void {
  cleanups.push(stop);
}

/** Where the cleanups stand now: runCleanups(mark) later stops only what came after. */
export function cleanupMark(): number {
  return cleanups.length;
}

/** Runs the cleanups registered after `mark` (all of them by default), newest first. */
export async function runCleanups(mark = 0): Promise<void> {
  while (cleanups.length > mark)
    await cleanups
      .pop()?.()
      .catch(() => undefined);
}

/** Whether a signal is stopping the bench (its handler exits once the cleanups are done). */
export function isInterrupted(): boolean {
  return interrupted;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`\n${signal}: stopping the servers and workers the bench started`);
    void runCleanups().finally(() => process.exit(130));
  });
}
