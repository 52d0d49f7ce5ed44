import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { config } from '../config/env';
import { AuditLog } from '../eventstore';
import { logger } from '../runtime/logger';
import { registerApiDocs } from './api-docs';
import { ApiKeyTable, type ApiKeyTableOptions } from './api-keys';
import type { TokenTable } from './auth';
import { apiKeyCheck, createAuthentication } from './authenticate';
import { HealthCheck, type HealthDeps } from './health';
import {
  answerClientError,
  MAX_HEADER_BYTES,
  NOT_FOUND_MESSAGE,
  refusalOf,
  refuseMissingHost,
  trpcErrorBody,
} from './http-refusals';
import { InflightLimit } from './inflight-limit';
import type { OidcVerifier } from './oidc';
import { providerOrigins, registerSignInConfig } from './oidc-workspace';
import { openApiDocument } from './openapi';
import { registerProbes } from './probes';
import { projectionStatus } from './projection-status';
import { registerRestRoutes } from './rest-route';
import { type AppDeps, createAppRouter } from './router';
import { traceRequests } from './tracing';
import { registerTrpcRoute } from './trpc-route';
import { registerSecurityHeaders, registerWebWorkspace } from './web-workspace';

export interface ApiServerOptions {
  deps: AppDeps & HealthDeps;
  tokens: TokenTable;
  /** People's tokens from the identity provider (OIDC_ISSUER); absent: no JWTs accepted. */
  oidc?: OidcVerifier;
  /** How the API key table refreshes (tests shorten it); its defaults otherwise. */
  apiKeyTable?: ApiKeyTableOptions;
  maxBodyBytes: number;
  /** Calls one batched request may carry; more is a 400. */
  maxBatchSize: number;
  /** Calls one token may have in flight; more are refused with 429 and Retry-After. */
  maxInflightPerToken: number;
  /** /healthz is unhealthy above this lag; HEALTH_MAX_LAG_SECONDS when not given. */
  healthMaxLagSeconds?: number;
  /** Longest a client may take to send a request; API_REQUEST_TIMEOUT_MS when not given. */
  requestTimeoutMs?: number;
}

export interface ApiServer {
  /** The underlying Node server (ready: its 'request' listener serves the API). */
  readonly server: http.Server;
  listen(port: number, host: string): Promise<AddressInfo>;
  /**
   * Stops gracefully: no new connections, idle keep-alive ones closed at once, new requests
   * on open ones answered 503, requests in flight given `graceMs` to finish (a command's own
   * deadline is shorter), then whatever is left is cut.
   */
  close(graceMs: number): Promise<void>;
}

function notFound(app: FastifyInstance): void {
  app.setNotFoundHandler((_request, reply) =>
    reply
      .code(404)
      .type('application/json')
      .send(trpcErrorBody('NOT_FOUND', 404, NOT_FOUND_MESSAGE)),
  );
}

/**
 * Whatever a route, hook or Fastify itself throws ends as an answer in tRPC's shape, never
 * as an exception out of the request: a refusal with its status, or a 500 that says nothing
 * of the cause (logged here, with the request's trace).
 */
function answerErrors(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const refusal = refusalOf(error, request.headers['content-type']);
    if (refusal.status >= 500) logger.error({ err: error, url: request.url }, 'request failed');
    return reply
      .code(refusal.status)
      .type('application/json')
      .send(trpcErrorBody(refusal.code, refusal.status, refusal.message));
  });
}

/**
 * The HTTP server: tRPC under /trpc, the same procedures as REST under /api (described by
 * /openapi.json, rendered at /docs), the probes, and the web workspace at /.
 */
export async function createApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const c = config();
  const requestTimeoutMs = options.requestTimeoutMs ?? c.API_REQUEST_TIMEOUT_MS;
  const app = Fastify({
    // The app logs with its own pino (one line per event); Fastify's per-request lines off.
    logger: false,
    bodyLimit: options.maxBodyBytes,
    http: {
      maxHeaderSize: MAX_HEADER_BYTES,
      // Headers and whole request both within the request timeout (slow clients cut).
      headersTimeout: requestTimeoutMs,
      requestTimeout: requestTimeoutMs,
      // How often Node looks for requests over those timeouts (its default is 30 s).
      connectionsCheckingInterval: Math.min(1_000, requestTimeoutMs),
      // A missing Host is refused by refuseMissingHost, with a body saying what to send.
      requireHostHeader: false,
    },
    requestTimeout: requestTimeoutMs,
    keepAliveTimeout: c.API_KEEP_ALIVE_TIMEOUT_MS,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    clientErrorHandler: answerClientError,
    // A batch names its procedures in the path (`/trpc/a,b,c`): as long as the URL may be.
    routerOptions: { maxParamLength: MAX_HEADER_BYTES },
    // A malformed URL (`/%`, `/assets/%ff`): refused before any route sees it.
    frameworkErrors: (error, _request, reply) => {
      const refusal = refusalOf(error, undefined);
      void (reply as FastifyReply)
        .code(refusal.status)
        .type('application/json')
        .send(trpcErrorBody(refusal.code, refusal.status, refusal.message));
    },
  });
  traceRequests(app);
  refuseMissingHost(app);
  answerErrors(app);
  notFound(app);
  registerSecurityHeaders(app, () => providerOrigins(options.oidc));

  const health = new HealthCheck(options.deps, {
    maxLagSeconds: options.healthMaxLagSeconds ?? c.HEALTH_MAX_LAG_SECONDS,
    status: () => projectionStatus(options.deps.temporal, options.deps.pool),
  });
  // Managed keys are read from the event store's database, listened to for changes.
  const apiKeys = new ApiKeyTable(options.deps.pool, c.DATABASE_URL, options.apiKeyTable);
  apiKeys.start();
  const audit = new AuditLog(options.deps.pool);
  // One order for every route and probe: static tokens, then managed keys, then OIDC.
  const authenticate = createAuthentication({
    tokens: options.tokens,
    more: [apiKeyCheck(apiKeys)],
    ...(options.oidc ? { oidc: options.oidc } : {}),
  });
  registerProbes(app, health, authenticate);
  const router = createAppRouter({ ...options.deps, apiKeys });
  const inflight = new InflightLimit(options.maxInflightPerToken);
  registerTrpcRoute(app, {
    router,
    authenticate,
    audit,
    maxBodyBytes: options.maxBodyBytes,
    maxBatchSize: options.maxBatchSize,
    inflight,
  });
  registerRestRoutes(app, { router, authenticate, audit, inflight });
  try {
    await registerApiDocs(app, openApiDocument(router));
    registerSignInConfig(app, options.oidc);
    await registerWebWorkspace(app);
    await app.ready();
  } catch (err) {
    // A server that never starts must not keep the key table's connection and timers.
    await apiKeys.close();
    throw err;
  }

  return {
    server: app.server,
    async listen(port, host) {
      await app.listen({ port, host });
      return app.server.address() as AddressInfo;
    },
    async close(graceMs) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), graceMs);
      });
      const closed = app.close();
      if ((await Promise.race([closed, late])) === 'late') {
        logger.warn({ graceMs }, 'requests still running after the grace period: closing them');
        app.server.closeAllConnections();
        await closed;
      }
      clearTimeout(timer);
      await apiKeys.close();
    },
  };
}
