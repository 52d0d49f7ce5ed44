import type http from 'node:http';
import type { Duplex } from 'node:stream';

// Refusals that never reach tRPC (Node's HTTP parser gives up first) still answer in the
// shape tRPC errors have, so a client handles every refusal the same way.

/** The body of a tRPC error: `{ error: { message, code, data: { code, httpStatus } } }`. */
export function trpcErrorBody(
  dataCode: string,
  httpStatus: number,
  message: string,
  jsonRpcCode = -32600,
): string {
  return JSON.stringify({
    error: { message, code: jsonRpcCode, data: { code: dataCode, httpStatus } },
  });
}

const HEADER_LIMIT_KIB = 16;

function respond(socket: Duplex, status: number, reason: string, body: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/**
 * Answers what Node's parser refuses (Node's own answer has an empty body): a request line
 * and headers over Node's limit are 431, anything else it cannot parse is 400.
 */
export function answerClientErrors(server: http.Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
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
        trpcErrorBody('TIMEOUT', 408, 'the request was not received in time: send it again'),
      );
      return;
    }
    respond(
      socket,
      400,
      'Bad Request',
      trpcErrorBody('BAD_REQUEST', 400, 'the request is not valid HTTP/1.1: check the client'),
    );
  });
}
