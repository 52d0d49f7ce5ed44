import type pg from 'pg';

// The audit trail (migration 006): who did which admin action, when, and how it ended.

export interface AuditEntry {
  actor: string;
  action: string;
  target: string | null;
  details: unknown;
  /** 'ok', or the refusal's code. */
  outcome: string;
  message: string | null;
  correlationId: string | null;
}

export interface AuditRecord extends AuditEntry {
  id: number;
  at: string;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  /** ISO instants: from inclusive, to exclusive. */
  from?: string;
  to?: string;
  /** The last id of the previous page: entries older than it. */
  cursor?: number;
  limit: number;
}

interface Row {
  id: string;
  at: Date;
  actor: string;
  action: string;
  target: string | null;
  details: unknown;
  outcome: string;
  message: string | null;
  correlation_id: string | null;
}

export class AuditLog {
  constructor(private readonly pool: pg.Pool) {}

  async record(entry: AuditEntry): Promise<number> {
    const { rows } = await this.pool.query<{ id: string }>(
      `insert into audit_log (actor, action, target, details, outcome, message, correlation_id)
       values ($1, $2, $3, $4, $5, $6, $7) returning id`,
      [
        entry.actor,
        entry.action,
        entry.target,
        entry.details === undefined ? null : JSON.stringify(entry.details),
        entry.outcome,
        entry.message,
        entry.correlationId,
      ],
    );
    return Number(rows[0]?.id);
  }

  /** Newest first; one more than `limit` is read to tell whether another page follows. */
  async list(filter: AuditFilter): Promise<{ entries: AuditRecord[]; nextCursor: number | null }> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      args.push(value);
      where.push(sql.replace('?', `$${args.length}`));
    };
    if (filter.actor !== undefined) add('actor = ?', filter.actor);
    if (filter.action !== undefined) add('action = ?', filter.action);
    if (filter.from !== undefined) add('at >= ?', filter.from);
    if (filter.to !== undefined) add('at < ?', filter.to);
    if (filter.cursor !== undefined) add('id < ?', filter.cursor);
    args.push(filter.limit + 1);
    const { rows } = await this.pool.query<Row>(
      `select id, at, actor, action, target, details, outcome, message, correlation_id
       from audit_log ${where.length ? `where ${where.join(' and ')}` : ''}
       order by id desc limit $${args.length}`,
      args,
    );
    const page = rows.slice(0, filter.limit).map((r) => ({
      id: Number(r.id),
      at: r.at.toISOString(),
      actor: r.actor,
      action: r.action,
      target: r.target,
      details: r.details,
      outcome: r.outcome,
      message: r.message,
      correlationId: r.correlation_id,
    }));
    const last = page.at(-1);
    return { entries: page, nextCursor: rows.length > filter.limit && last ? last.id : null };
  }
}
