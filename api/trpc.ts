import { initTRPC, TRPCError } from '@trpc/server';
import type { OpenApiMeta } from 'trpc-to-openapi';
import { ZodError } from 'zod';
import type { Refusal } from '../domain/oidc-claims';
import type { AuditEntry } from '../eventstore';
import { logger } from '../runtime/logger';
import {
  apiAuthRefusals,
  apiInflight,
  apiRateLimited,
  apiRequestDuration,
  apiRequests,
  auditWriteFailures,
} from '../runtime/metrics';
import type { Principal, Role } from './auth';
import { hasRole } from './auth';
import { BODY_TOO_LARGE_MESSAGE, unsupportedMediaTypeMessage } from './http-refusals';
import { type InflightLimit, RETRY_AFTER_SECONDS } from './inflight-limit';

export interface ApiContext {
  principal: Principal | null;
  /** Why there is no principal: which check the credential failed (`data.reason`). */
  refusal?: Refusal;
  correlationId: string;
  /** Calls in flight per token: above its limit a call is refused with 429. */
  inflight: InflightLimit;
  /** Adds a value to a response header (a batch's calls each add theirs); absent in-process. */
  addResponseHeader?: (name: string, value: string) => void;
  /** Where admin actions are recorded (the audit trail); absent: not recorded. */
  audit?: { record(entry: AuditEntry): Promise<unknown> };
}

/**
 * A procedure's description for /openapi.json: its REST route and words (`openapi`), and
 * the role it needs (set by readerProcedure, writerProcedure, adminProcedure).
 */
export type ApiMeta = OpenApiMeta<{ role?: Role }>;

export interface IssueSummary {
  path: string;
  message: string;
}

function zodIssues(error: ZodError): IssueSummary[] {
  return error.issues.map((i) => ({
    path: i.path.map(String).join('.') || '(input)',
    message: i.message,
  }));
}

/** A body or `?input=` that is not JSON: tRPC hands on the parser's error as the cause. */
const isMalformedJson = (error: TRPCError) =>
  (error.code === 'BAD_REQUEST' || error.code === 'PARSE_ERROR') &&
  error.cause instanceof SyntaxError;

/**
 * tRPC's own refusals say what went wrong in its terms (`PAYLOAD_TOO_LARGE`, the parser's
 * text); these say what to send instead.
 */
function transportMessage(error: TRPCError, message: string): string {
  if (error.code === 'PAYLOAD_TOO_LARGE') {
    return BODY_TOO_LARGE_MESSAGE;
  }
  if (error.code === 'UNSUPPORTED_MEDIA_TYPE' && /content-type/i.test(message)) {
    return unsupportedMediaTypeMessage(/^Unsupported content-type "(.*)$/.exec(message)?.[1]);
  }
  return message;
}

// No transformer: plain JSON on the wire, so any HTTP client can call the API.
const t = initTRPC
  .context<ApiContext>()
  .meta<ApiMeta>()
  .create({
    errorFormatter({ shape, error }) {
      const domainIssues = (error.cause as { details?: { issues?: IssueSummary[] } } | undefined)
        ?.details?.issues;
      const malformed = isMalformedJson(error);
      const issues =
        error.cause instanceof ZodError
          ? zodIssues(error.cause)
          : malformed
            ? [
                {
                  path: '(input)',
                  message: `must be valid JSON (${(error.cause as Error).message})`,
                },
              ]
            : domainIssues && domainIssues.length > 0
              ? domainIssues
              : undefined;
      const message =
        (error.cause instanceof ZodError || malformed) && issues
          ? `Invalid input: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`
          : transportMessage(error, shape.message);
      const reason = (error.cause as { code?: unknown } | undefined)?.code;
      return {
        ...shape,
        message,
        data: {
          code: shape.data.code,
          httpStatus: shape.data.httpStatus,
          path: shape.data.path,
          ...(issues ? { issues } : {}),
          ...(typeof reason === 'string' && !(error.cause instanceof ZodError) && !malformed
            ? { reason }
            : {}),
        },
      };
    },
  });

export const router = t.router;

/** Every call counted by procedure and outcome code, timed, and counted while in flight. */
const observed = t.procedure.use(async ({ path, next }) => {
  const started = performance.now();
  apiInflight.inc();
  try {
    const result = await next();
    const labels = { procedure: path, code: result.ok ? 'OK' : result.error.code };
    apiRequests.inc(labels);
    apiRequestDuration.observe(labels, (performance.now() - started) / 1000);
    return result;
  } finally {
    apiInflight.dec();
  }
});

export const publicProcedure = observed;

const REFUSAL_CODES = {
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  503: 'SERVICE_UNAVAILABLE',
} as const satisfies Record<Refusal['status'], TRPCError['code']>;

function requireRole(role: Role) {
  return t.middleware(async ({ ctx, next }) => {
    if (!ctx.principal) {
      const refusal = ctx.refusal ?? {
        reason: 'MissingToken',
        status: 401,
        message: 'missing token: send Authorization: Bearer <token>',
      };
      apiAuthRefusals.inc({ reason: refusal.reason });
      throw new TRPCError({
        code: REFUSAL_CODES[refusal.status],
        message: refusal.message,
        // The error formatter shows a cause's `code` as data.reason.
        cause: Object.assign(new Error(refusal.message), { code: refusal.reason }),
      });
    }
    if (!hasRole(ctx.principal, role)) {
      throw new TRPCError({
        code: 'FORBIDDEN',
        message: `this call needs the ${role} role; your token has ${ctx.principal.role}`,
      });
    }
    const key = ctx.principal.actor;
    if (!ctx.inflight.tryTake(key)) {
      apiRateLimited.inc();
      throw new TRPCError({
        code: 'TOO_MANY_REQUESTS',
        message: `this token already has ${ctx.inflight.limit} calls in flight; retry after ${RETRY_AFTER_SECONDS} s (Retry-After)`,
      });
    }
    try {
      // tRPC merges this into the context: only what changes (the principal, now not null).
      return await next({ ctx: { principal: ctx.principal } });
    } finally {
      ctx.inflight.release(key);
    }
  });
}

/** What an admin action acted on, as the audit trail names it: from its input, or a created id. */
function auditTarget(input: unknown, data: unknown): string | null {
  const i = (input ?? {}) as Record<string, unknown>;
  if (typeof i.orderId === 'string') {
    return typeof i.readModel === 'string' ? `${i.readModel}/${i.orderId}` : i.orderId;
  }
  for (const field of ['id', 'readModel', 'month'] as const) {
    if (typeof i[field] === 'string') return i[field];
  }
  const created = (data ?? {}) as { id?: unknown };
  return typeof created.id === 'string' ? created.id : null;
}

/**
 * Every admin mutation leaves a row in the audit trail: who, what, on what, how it ended.
 * Input refused as invalid did nothing and leaves nothing. The record is the call's input,
 * never its answer (a created key or secret is answered once and kept nowhere).
 */
const audited = t.middleware(async ({ ctx, type, path, getRawInput, next }) => {
  const result = await next();
  if (type !== 'mutation' || !ctx.audit || !ctx.principal) return result;
  if (!result.ok && result.error.code === 'BAD_REQUEST') return result;
  const input = await getRawInput().catch(() => undefined);
  const entry: AuditEntry = {
    actor: ctx.principal.actor,
    action: path,
    target: auditTarget(input, result.ok ? result.data : undefined),
    details: input ?? null,
    outcome: result.ok ? 'ok' : result.error.code,
    message: result.ok ? null : result.error.message,
    correlationId: ctx.correlationId,
  };
  try {
    await ctx.audit.record(entry);
  } catch (err) {
    // The action is done; its record is at least in the log (and alerted on).
    auditWriteFailures.inc({ source: 'api' });
    logger.error({ err, audit: entry }, 'audit record not written');
  }
  return result;
});

export const readerProcedure = observed.use(requireRole('reader')).meta({ role: 'reader' });
export const writerProcedure = observed.use(requireRole('writer')).meta({ role: 'writer' });
export const adminProcedure = observed
  .use(requireRole('admin'))
  .use(audited)
  .meta({ role: 'admin' });
