import { initTRPC, TRPCError } from '@trpc/server';
import { ZodError } from 'zod';
import type { Principal, Role } from './auth';
import { hasRole } from './auth';

export interface ApiContext {
  principal: Principal | null;
  correlationId: string;
}

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

// No transformer: plain JSON on the wire, so any HTTP client can call the API.
const t = initTRPC.context<ApiContext>().create({
  errorFormatter({ shape, error }) {
    const domainIssues = (error.cause as { details?: { issues?: IssueSummary[] } } | undefined)
      ?.details?.issues;
    const issues =
      error.cause instanceof ZodError
        ? zodIssues(error.cause)
        : domainIssues && domainIssues.length > 0
          ? domainIssues
          : undefined;
    const message =
      error.cause instanceof ZodError && issues
        ? `Invalid input: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`
        : shape.message;
    const reason = (error.cause as { code?: unknown } | undefined)?.code;
    return {
      ...shape,
      message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        ...(issues ? { issues } : {}),
        ...(typeof reason === 'string' && !(error.cause instanceof ZodError) ? { reason } : {}),
      },
    };
  },
});

export const router = t.router;
export const publicProcedure = t.procedure;

function requireRole(role: Role) {
  return t.middleware(({ ctx, next }) => {
    if (!ctx.principal) {
      throw new TRPCError({
        code: 'UNAUTHORIZED',
        message: 'missing or unknown token: send Authorization: Bearer <token>',
      });
    }
    if (!hasRole(ctx.principal, role)) {
      throw new TRPCError({
        code: 'FORBIDDEN',
        message: `this call needs the ${role} role; your token has ${ctx.principal.role}`,
      });
    }
    return next({ ctx: { ...ctx, principal: ctx.principal } });
  });
}

export const readerProcedure = t.procedure.use(requireRole('reader'));
export const writerProcedure = t.procedure.use(requireRole('writer'));
export const adminProcedure = t.procedure.use(requireRole('admin'));
