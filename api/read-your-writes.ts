import type pg from 'pg';
import type { ReadModel } from '../domain';
import { ProjectionCheckpoints } from '../eventstore';
import { logger } from '../runtime/logger';
import { projectorWorkflowId } from '../temporal/projectors';

import { READ_YOUR_WRITES_WAIT_MS } from './order-queries';

const POLL_MS = 40;

/** The call's value, or undefined when it failed or did not answer within `ms`. */
async function within<T>(ms: number, call: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([call, late]);
  } catch (err) {
    logger.debug({ err }, 'read-your-writes check failed');
    return undefined;
  } finally {
    clearTimeout(timer);
    // A failure after the race was decided has nobody left to tell.
    call.catch(() => undefined);
  }
}

/**
 * Read-your-writes for any query: waits (at most READ_YOUR_WRITES_WAIT_MS) until the read
 * model's projector has passed global `position` — the `position` a command replied with.
 * A projector moves its checkpoint only after its batch is searchable and the reports it
 * moved are invalidated, so a query that follows sees the change. False: still behind, or
 * not known in time (PostgreSQL slow or unreachable), or the caller went away: the query
 * then answers `stale` from the read model rather than hang or fail, and polls no further,
 * so a hung pool gets one check per request.
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
    const left = Math.max(deadline - Date.now(), POLL_MS);
    const passed = await within(left, checkpoints.passed(projector, position));
    if (passed === true) return true;
    // A caller that hung up gets nothing: stop polling for it.
    if (passed === undefined || Date.now() >= deadline || signal?.aborted) return false;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
