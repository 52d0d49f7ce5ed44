import type pg from 'pg';
import type { ReadModel } from '../domain';
import { ProjectionCheckpoints } from '../eventstore';
import { projectorWorkflowId } from '../temporal/projectors';

import { READ_YOUR_WRITES_WAIT_MS } from './order-queries';

const POLL_MS = 40;

/**
 * Read-your-writes for any query: waits (at most READ_YOUR_WRITES_WAIT_MS) until the read
 * model's projector has passed global `position` — the `position` a command replied with.
 * A projector moves its checkpoint only after its batch is searchable and the reports it
 * moved are invalidated, so a query that follows sees the change. False: still behind (or
 * the caller went away).
 */
export async function waitForPosition(
  pool: pg.Pool,
  readModel: ReadModel,
  position: number,
  signal?: AbortSignal,
): Promise<boolean> {
  const checkpoints = new ProjectionCheckpoints(pool);
  const projector = projectorWorkflowId(readModel);
  const deadline = Date.now() + READ_YOUR_WRITES_WAIT_MS;
  for (;;) {
    if (await checkpoints.passed(projector, position)) return true;
    // A caller that hung up gets nothing: stop polling for it.
    if (Date.now() >= deadline || signal?.aborted) return false;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
