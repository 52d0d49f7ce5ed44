import type pg from 'pg';
import { AuditLog } from '../../eventstore';
import { withEventStore } from '../event-store-calls';
import { auditListInput } from '../security-inputs';
import { auditListOutput } from '../security-outputs';
import { adminProcedure, router } from '../trpc';

const PAGE = 50;

/** The audit trail of admin actions (admin), newest first. */
export function auditRouter(deps: { pool: pg.Pool }) {
  const log = new AuditLog(deps.pool);
  return router({
    list: adminProcedure
      .meta({
        openapi: {
          method: 'GET',
          path: '/api/audit',
          tags: ['audit'],
          summary: 'The audit trail',
          description: `Admin actions newest first (${PAGE} a page unless limit says), with who, what, when and the outcome; filtered by actor, action and time (from inclusive, to exclusive).`,
        },
      })
      .input(auditListInput)
      .output(auditListOutput)
      .query(({ input }) =>
        withEventStore('audit.list', 'narrow the filter or try again shortly', () =>
          log.list({ ...input, limit: input.limit ?? PAGE }),
        ),
      ),
  });
}
