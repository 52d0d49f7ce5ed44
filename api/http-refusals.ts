import type { Socket } from 'node:net';
import { type TRPC_ERROR_CODE_KEY, TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import type { FastifyError, FastifyInstance } from 'fastify';
import { logger } from '../runtime/logger';

// Refusals that never reach tRPC (Node's parser or Fastify give up first) still answer in
// the shape tRPC errors have, so a client handles every refusal the same way.

type RefusalCode = TRPC_ERROR_CODE_KEY | 'REQUEST_HEADER_FIELDS_TOO_LARGE';

/** The body of a tRPC error: `{ error: { message, code, data: { code, httpStatus } } }`. */
export function trpcErrorBody(dataCode: RefusalCode, httpStatus: number, message: string): string {
  const jsonRpcCode =
    dataCode === 'REQUEST_HEADER_FIELDS_TOO_LARGE' ? -32600 : TRPC_ERROR_CODES_BY_KEY[dataCode];
  return JSON.stringify({
    error: { message, code: jsonRpcCode, data: { code: dataCode, httpStatus } },
  });
}

export const BODY_TOO_LARGE_MESSAGE =
  'the request body is over the API limit (API_MAX_BODY_BYTES, default 256 KiB): send less, e.g. split a batch or an import into several calls';

export const NOT_FOUND_MESSAGE =
  'not found: the workspace is at /, the API under /trpc/<procedure> and /api (described at /openapi.json, /docs), health at /healthz, /readyz and /livez';

/** What a POST with another Content-Type (`sent`) is told to send instead. */
export function unsupportedMediaTypeMessage(sent: string | undefined): string {
  return sent === undefined
    ? 'send the header Content-Type: application/json (none was sent)'
    : `send the header Content-Type: application/json (got ${JSON.stringify(sent)})`;
}

const HEADER_LIMIT_KIB = 16;
/** Node's own limit on the request line and headers together (http maxHeaderSize). */
export const MAX_HEADER_BYTES = HEADER_LIMIT_KIB * 1024;

export interface Refusal {
  status: number;
  code: RefusalCode;
  message: string;
}

const BY_STATUS: Record<number, RefusalCode> = {
  400: 'BAD_REQUEST',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_SUPPORTED',
  408: 'TIMEOUT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  431: 'REQUEST_HEADER_FIELDS_TOO_LARGE',
  503: 'SERVICE_UNAVAILABLE',
};

/**
 * What to answer for an error Fastify raised before or around a route (a body over the
 * limit, a malformed URL or Content-Length, a closing server): its own status, in tRPC's
 * shape, with a sentence that says what to send instead. Anything else is a fault of ours:
 * 500 with no detail (the log has it).
 */
export function refusalOf(error: FastifyError, contentType: string | undefined): Refusal {
  const status = error.statusCode ?? 500;
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return {
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: unsupportedMediaTypeMessage(contentType),
    };
  }
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return { status: 413, code: 'PAYLOAD_TOO_LARGE', message: BODY_TOO_LARGE_MESSAGE };
  }
  if (error.code === 'FST_ERR_BAD_URL') {
    return {
      status: 400,
      code: 'BAD_REQUEST',
      message: 'the URL is not valid: percent-encode it as UTF-8 (RFC 3986)',
    };
  }
  // The static files refuse a path that leaves their folder with 403; to a caller it is
  // simply not there (nothing tells what lies outside).
  if (status === 403) return { status: 404, code: 'NOT_FOUND', message: NOT_FOUND_MESSAGE };
  const code = BY_STATUS[status];
  if (status >= 400 && status < 500 && code) {
    return { status, code, message: `the request was refused: ${error.message}` };
  }
  if (status >= 400 && status < 500) {
    return {
      status: 400,
      code: 'BAD_REQUEST',
      message: `the request was refused: ${error.message}`,
    };
  }
  return {
    status: 500,
    code: 'INTERNAL_SERVER_ERROR',
    message: 'internal error: the API logged it with this request’s trace; try again later',
  };
}

function respond(socket: Socket, status: number, reason: string, body: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/**
 * Fastify's clientErrorHandler: answers what Node's parser refuses (its own answer has an
 * empty or foreign body): request line and headers over the limit are 431, a request not
 * received in time 408, anything else it cannot parse 400.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  logger.debug({ code: err.code }, 'unparsable request refused');
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    respond(
      socket,
      431,
      'Request Header Fields Too Large',
      trpcErrorBody(
        'REQUEST_HEADER_FIELDS_TOO_LARGE',
        431,
        `the request line and headers are over ${HEADER_LIMIT_KIB} KiB: shorten the URL (a query's input travels in it; narrow the input) or the headers`,
      ),
    );
    return;
  }
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    respond(
      socket,
      408,
      'Request Timeout',
      trpcErrorBody(
        'TIMEOUT',
        408,
        'the request was not received in time (API_REQUEST_TIMEOUT_MS): send it again',
      ),
    );
    return;
  }
  respond(
    socket,
    400,
    'Bad Request',
    trpcErrorBody('BAD_REQUEST', 400, 'the request is not valid HTTP/1.1: check the client'),
  );
}

/**
 * HTTP/1.1 requires a Host (RFC 9112 §3.2); Node's own refusal of a missing one has an
 * empty body, and it lets an empty one pass (tRPC then failed to build the URL: a 500).
 * Both are refused here, for every route, with the API's error body.
 */
export function refuseMissingHost(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.headers.host) return;
    await reply
      .code(400)
      .type('application/json')
      .send(trpcErrorBody('BAD_REQUEST', 400, 'send a Host header naming this server'));
  });
}
