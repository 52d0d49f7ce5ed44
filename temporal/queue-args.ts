import { parseArgs } from 'node:util';
import { QUEUE_KINDS, type QueueKind } from '../contracts/task-queues';

/**
 * The `--queues a,b` of `npm start` and `npm run worker` (every queue by default). An
 * unknown name is a sentence for the operator and exit code 2, not a worker that polls
 * nothing.
 */
export function queuesFromArgs(args: string[] = process.argv.slice(2)): QueueKind[] {
  const { values } = parseArgs({
    args,
    options: { queues: { type: 'string', default: QUEUE_KINDS.join(',') } },
  });
  const queues = (values.queues ?? '')
    .split(',')
    .map((q) => q.trim())
    .filter(Boolean);
  const unknown = queues.filter((q) => !(QUEUE_KINDS as readonly string[]).includes(q));
  if (unknown.length > 0 || queues.length === 0) {
    console.error(
      `unknown queue(s): ${unknown.join(', ') || '(none given)'}; choose from ${QUEUE_KINDS.join(', ')}`,
    );
    process.exit(2);
  }
  return queues as QueueKind[];
}
