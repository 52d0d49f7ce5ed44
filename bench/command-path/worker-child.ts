// The bench's workers in their own process (own event loop), driven over the IPC channel.
// The environment (database, prefixes, TEMPORAL_ADDRESS, tuning) comes from the parent.
import type { WorkerTuning } from './settings';
import type { BenchWorkers, FromChild, ToChild } from './workers';

const send = (message: FromChild) => process.send?.(message);

if (!process.send) throw new Error('worker-child.ts is started by bench/command-path.ts');

const tuning = JSON.parse(process.env.BENCH_WORKER_TUNING ?? '{}') as WorkerTuning;
let workers: BenchWorkers | undefined;

async function stop(code: number): Promise<never> {
  await workers?.shutdown().catch(() => undefined);
  send({ type: 'stopped' });
  process.disconnect?.();
  process.exit(code);
}

// The parent went away (crash, Ctrl-C): do not outlive it.
process.on('disconnect', () => void stop(0));
process.on('message', (message: ToChild) => {
  if (message.type === 'timings' && workers)
    send({ type: 'timings', timings: workers.takeTimings() });
  if (message.type === 'stop') void stop(0);
});

try {
  const { startBenchWorkers } = await import('./workers');
  workers = await startBenchWorkers(tuning);
  send({ type: 'ready' });
} catch (err) {
  send({
    type: 'failed',
    message: err instanceof Error ? (err.stack ?? err.message) : String(err),
  });
  await stop(1);
}
