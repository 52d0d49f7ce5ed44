// What a benchmark starts (servers, the app, workers, clients, HTTP servers) registers its
// stop here: run at the end of a phase, or all of them on Ctrl-C, newest first.

const cleanups: (() => Promise<void>)[] = [];

export function onCleanup(stop: () => Promise<void>): void {
  cleanups.push(stop);
}

/** Where the cleanups stand now: runCleanups(mark) later stops only what came after. */
export const cleanupMark = (): number => cleanups.length;

/** Runs the cleanups registered after `mark` (all by default), newest first, each regardless. */
export async function runCleanups(mark = 0): Promise<void> {
  while (cleanups.length > mark)
    await cleanups
      .pop()?.()
      .catch(() => undefined);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping what the benchmark started`);
    void runCleanups().finally(() => process.exit(130));
  });
}
