import type pg from 'pg';
import type { GlobalCheckpoint } from './types';

// Webhook subscriptions and their delivery attempts (migration 005). The row is where the
// subscriber stands: its workflow reads it before every batch, so an update, a replay or an
// enable takes effect from the next batch on, whichever worker runs it.

export interface SubscriptionSettings {
  url: string;
  /** Public event types ('order.placed', …); null: every type. */
  eventTypes: string[] | null;
  description: string | null;
}

/** What the API shows: never the secret. */
export interface SubscriptionView extends SubscriptionSettings {
  id: string;
  enabled: boolean;
  disabledReason: string | null;
  consecutiveFailures: number;
  failingSince: string | null;
  lastError: string | null;
  lastStatus: number | null;
  lastDeliveryAt: string | null;
  checkpoint: GlobalCheckpoint;
  checkpointAt: string;
  /** Whether a previous secret still signs beside the current one, until when. */
  previousSecretUntil: string | null;
  createdAt: string;
}

/** What a delivery needs: the view, the secrets that sign now, the generation. */
export interface SubscriptionForDelivery extends SubscriptionView {
  /** The current secret first, then the previous one while it still signs. */
  secrets: string[];
  generation: number;
}

export interface DeliveryAttempt {
  subscriptionId: string;
  messageId: string;
  eventType: string;
  position: number;
  attempt: number;
  outcome: 'delivered' | 'failed' | 'gone' | 'refused';
  statusCode: number | null;
  durationMs: number;
  error: string | null;
}

export interface DeliveryRecord extends Omit<DeliveryAttempt, 'subscriptionId'> {
  id: number;
  attemptedAt: string;
}

interface Row {
  id: string;
  url: string;
  event_types: string[] | null;
  description: string | null;
  secret: string;
  previous_secret: string | null;
  previous_secret_until: Date | null;
  previous_signs: boolean;
  enabled: boolean;
  disabled_reason: string | null;
  consecutive_failures: number;
  failing_since: Date | null;
  last_error: string | null;
  last_status: number | null;
  last_delivery_at: Date | null;
  transaction_id: string;
  global_position: string;
  generation: number;
  checkpoint_at: Date;
  created_at: Date;
}

const COLUMNS = `id, url, event_types, description, secret, previous_secret, previous_secret_until,
  coalesce(previous_secret_until > now(), false) as previous_signs, enabled, disabled_reason,
  consecutive_failures, failing_since, last_error, last_status, last_delivery_at,
  transaction_id::text as transaction_id, global_position, generation, checkpoint_at, created_at`;

const iso = (d: Date | null) => d?.toISOString() ?? null;

const INSERT_ATTEMPTS = `insert into subscription_deliveries (subscription_id, message_id,
    event_type, global_position, attempt, outcome, status_code, duration_ms, error)
  select * from unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::int[],
                       $6::text[], $7::int[], $8::int[], $9::text[])`;

function attemptColumns(attempts: DeliveryAttempt[]): unknown[] {
  const column = <K extends keyof DeliveryAttempt>(k: K) => attempts.map((a) => a[k]);
  return [
    column('subscriptionId'),
    column('messageId'),
    column('eventType'),
    column('position'),
    column('attempt'),
    column('outcome'),
    column('statusCode'),
    column('durationMs'),
    column('error'),
  ];
}

function toView(row: Row): SubscriptionView {
  return {
    id: row.id,
    url: row.url,
    eventTypes: row.event_types,
    description: row.description,
    enabled: row.enabled,
    disabledReason: row.disabled_reason,
    consecutiveFailures: row.consecutive_failures,
    failingSince: iso(row.failing_since),
    lastError: row.last_error,
    lastStatus: row.last_status,
    lastDeliveryAt: iso(row.last_delivery_at),
    checkpoint: { transactionId: row.transaction_id, position: Number(row.global_position) },
    checkpointAt: row.checkpoint_at.toISOString(),
    previousSecretUntil: row.previous_signs ? iso(row.previous_secret_until) : null,
    createdAt: row.created_at.toISOString(),
  };
}

/** The disabled reason of a subscription an operator disabled (the others say what failed). */
export const DISABLED_BY_OPERATOR = 'disabled by an operator';

/** How long the secret before a rotation still signs. */
const PREVIOUS_SECRET_SIGNS = '24 hours';
/** Delivery attempts are kept this long. */
const ATTEMPTS_KEPT = '7 days';

export class Subscriptions {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * A new subscription, starting after the last event readers can see now: it receives
   * what is committed from here on (and anything committed but still held back behind an
   * older open transaction). Older events: `replay`.
   */
  async create(
    id: string,
    settings: SubscriptionSettings,
    secret: string,
  ): Promise<SubscriptionView> {
    const { rows } = await this.pool.query<Row>(
      `with head as (
         select transaction_id, global_position from events
         where transaction_id < pg_snapshot_xmin(pg_current_snapshot())
         order by transaction_id desc, global_position desc limit 1)
       insert into subscriptions (id, url, event_types, description, secret, transaction_id, global_position)
       values ($1, $2, $3, $4, $5,
               coalesce((select transaction_id from head), '0'::xid8),
               coalesce((select global_position from head), 0))
       returning ${COLUMNS}`,
      [id, settings.url, settings.eventTypes, settings.description, secret],
    );
    return toView(rows[0] as Row);
  }

  async list(): Promise<SubscriptionView[]> {
    const { rows } = await this.pool.query<Row>(
      `select ${COLUMNS} from subscriptions order by created_at, id`,
    );
    return rows.map(toView);
  }

  async ids(): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>('select id from subscriptions');
    return rows.map((r) => r.id);
  }

  async get(id: string): Promise<SubscriptionView | null> {
    const row = await this.row(id);
    return row ? toView(row) : null;
  }

  async forDelivery(id: string): Promise<SubscriptionForDelivery | null> {
    const row = await this.row(id);
    if (!row) return null;
    const secrets = [row.secret];
    if (row.previous_signs && row.previous_secret) secrets.push(row.previous_secret);
    return { ...toView(row), secrets, generation: row.generation };
  }

  private async row(id: string): Promise<Row | null> {
    const { rows } = await this.pool.query<Row>(
      `select ${COLUMNS} from subscriptions where id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  /**
   * Changes what is given; `enabled: true` also forgets the failures that disabled it, so
   * the subscriber resumes from its checkpoint with a fresh retry schedule.
   */
  async update(
    id: string,
    change: Partial<SubscriptionSettings> & { enabled?: boolean },
  ): Promise<SubscriptionView | null> {
    const { rows } = await this.pool.query<Row>(
      `update subscriptions set
         url = coalesce($2, url),
         event_types = case when $3::boolean then $4::text[] else event_types end,
         description = case when $5::boolean then $6 else description end,
         enabled = coalesce($7, enabled),
         disabled_reason = case when $7 is null then disabled_reason
                                when $7 then null else $8 end,
         consecutive_failures = case when $7 then 0 else consecutive_failures end,
         failing_since = case when $7 then null else failing_since end,
         updated_at = now()
       where id = $1
       returning ${COLUMNS}`,
      [
        id,
        change.url ?? null,
        change.eventTypes !== undefined,
        change.eventTypes ?? null,
        change.description !== undefined,
        change.description ?? null,
        change.enabled ?? null,
        DISABLED_BY_OPERATOR,
      ],
    );
    return rows[0] ? toView(rows[0]) : null;
  }

  async delete(id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('delete from subscriptions where id = $1', [id]);
    return (rowCount ?? 0) > 0;
  }

  /** The new secret signs from now on; the one it replaces beside it for 24 h. */
  async rotateSecret(id: string, secret: string): Promise<SubscriptionView | null> {
    const { rows } = await this.pool.query<Row>(
      `update subscriptions set previous_secret = secret,
         previous_secret_until = now() + interval '${PREVIOUS_SECRET_SIGNS}',
         secret = $2, updated_at = now()
       where id = $1 returning ${COLUMNS}`,
      [id, secret],
    );
    return rows[0] ? toView(rows[0]) : null;
  }

  /** Moves the checkpoint to `at` (back, usually) in a new generation. */
  async replay(id: string, at: GlobalCheckpoint): Promise<SubscriptionView | null> {
    const { rows } = await this.pool.query<Row>(
      `update subscriptions set transaction_id = $2::xid8, global_position = $3,
         generation = generation + 1, checkpoint_at = now(), updated_at = now()
       where id = $1 returning ${COLUMNS}`,
      [id, at.transactionId, at.position],
    );
    return rows[0] ? toView(rows[0]) : null;
  }

  /** A batch's attempts in one statement. */
  async recordAttempts(attempts: DeliveryAttempt[]): Promise<void> {
    if (attempts.length === 0) return;
    await this.pool.query(`${INSERT_ATTEMPTS}`, attemptColumns(attempts));
  }

  /**
   * A batch every event of which was acknowledged, in one statement: its attempts recorded,
   * the checkpoint moved past its page (unless a replay started another generation), and
   * the subscription's failures forgotten.
   */
  async finishBatch(
    id: string,
    generation: number,
    at: GlobalCheckpoint,
    attempts: DeliveryAttempt[],
  ): Promise<void> {
    const lastStatus = attempts.at(-1)?.statusCode ?? null;
    await this.pool.query(
      `with recorded as (${INSERT_ATTEMPTS} returning 1),
       moved as (select $11 = s.generation
                        and ($12::xid8, $13::bigint) > (s.transaction_id, s.global_position) as ok
                 from subscriptions s where s.id = $10)
       update subscriptions set
         transaction_id = case when moved.ok then $12::xid8 else transaction_id end,
         global_position = case when moved.ok then $13 else global_position end,
         checkpoint_at = case when moved.ok then now() else checkpoint_at end,
         consecutive_failures = case when $14::int is null then consecutive_failures else 0 end,
         failing_since = case when $14::int is null then failing_since end,
         last_status = coalesce($14, last_status),
         last_delivery_at = case when $14::int is null then last_delivery_at else now() end
       from moved where id = $10`,
      [...attemptColumns(attempts), id, generation, at.transactionId, at.position, lastStatus],
    );
  }

  async noteFailed(id: string, error: string, status: number | null): Promise<void> {
    await this.pool.query(
      `update subscriptions set consecutive_failures = consecutive_failures + 1,
         failing_since = coalesce(failing_since, now()), last_error = $2, last_status = $3
       where id = $1`,
      [id, error, status],
    );
  }

  async disable(id: string, reason: string): Promise<void> {
    await this.pool.query(
      `update subscriptions set enabled = false, disabled_reason = $2, updated_at = now()
       where id = $1`,
      [id, reason],
    );
  }

  /** Attempts, newest first, before the `cursor` (an attempt id) when given. */
  async deliveries(id: string, cursor: number | null, limit: number): Promise<DeliveryRecord[]> {
    const { rows } = await this.pool.query<{
      id: string;
      message_id: string;
      event_type: string;
      global_position: string;
      attempt: number;
      outcome: DeliveryAttempt['outcome'];
      status_code: number | null;
      duration_ms: number;
      error: string | null;
      attempted_at: Date;
    }>(
      `select id, message_id, event_type, global_position, attempt, outcome, status_code,
              duration_ms, error, attempted_at
       from subscription_deliveries
       where subscription_id = $1 and ($2::bigint is null or id < $2)
       order by id desc limit $3`,
      [id, cursor, limit],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      messageId: r.message_id,
      eventType: r.event_type,
      position: Number(r.global_position),
      attempt: r.attempt,
      outcome: r.outcome,
      statusCode: r.status_code,
      durationMs: r.duration_ms,
      error: r.error,
      attemptedAt: r.attempted_at.toISOString(),
    }));
  }

  async pruneAttempts(): Promise<number> {
    const { rowCount } = await this.pool.query(
      `delete from subscription_deliveries where attempted_at < now() - interval '${ATTEMPTS_KEPT}'`,
    );
    return rowCount ?? 0;
  }

  /**
   * The checkpoint from which a replay re-sends the event at global `position` and every
   * event after it in the readers' order; null when there is no such event.
   */
  async checkpointBeforePosition(position: number): Promise<GlobalCheckpoint | null> {
    const { rows } = await this.pool.query<{ transaction_id: string; global_position: string }>(
      `select transaction_id::text, global_position from events where global_position = $1`,
      [position],
    );
    const row = rows[0];
    return row
      ? { transactionId: row.transaction_id, position: Number(row.global_position) - 1 }
      : null;
  }

  /** The checkpoint from which a replay re-sends every event recorded at or after `time`. */
  async checkpointBeforeTime(time: string): Promise<GlobalCheckpoint | null> {
    const { rows } = await this.pool.query<{ transaction_id: string; global_position: string }>(
      `select transaction_id::text, global_position from events where recorded_at >= $1
       order by transaction_id, global_position limit 1`,
      [time],
    );
    const row = rows[0];
    return row
      ? { transactionId: row.transaction_id, position: Number(row.global_position) - 1 }
      : null;
  }
}
