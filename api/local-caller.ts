import { randomUUID } from 'node:crypto';
import { AuditLog } from '../eventstore';
import type { Role } from './auth';
import { InflightLimit } from './inflight-limit';
import { type AppDeps, createAppRouter } from './router';

/**
 * The API's procedures called in-process, as `role`: the command-line tools answer through
 * the same validation, month rules and error messages as the HTTP API, never beside them.
 */
export function createLocalCaller(deps: AppDeps, role: Role, actor = `cli:${role}`) {
  return createAppRouter(deps).createCaller({
    principal: { role, actor },
    correlationId: randomUUID(),
    inflight: new InflightLimit(1),
    audit: new AuditLog(deps.pool),
  });
}
