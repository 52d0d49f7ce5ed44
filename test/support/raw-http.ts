import net from 'node:net';

// HTTP written and read as bytes on a socket: nothing normalises the path, the headers or
// the framing on the way, so a test sends exactly what a hostile client would.

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface RawExchange {
  /** The responses in the order they came (several for pipelined requests). */
  responses: RawResponse[];
  /** Bytes after the last complete response (a response cut short). */
  rest: Buffer;
  /** Whether the server closed the connection (or reset it) before the client did. */
  closed: boolean;
}

export interface SendOptions {
  /** The bytes are written in these many pieces, `gapMs` apart (a slow client). */
  pieces?: number;
  gapMs?: number;
  /**
   * Half-close after writing. Off by default: Node's server drops the requests of a client
   * that half-closes before their answers are written, as browsers and proxies never do.
   */
  end?: boolean;
  /** Done once this many responses came (the requests sent), the connection closed, … */
  expect?: number;
  /** … or nothing came for this long (a request the server still waits on), … */
  idleMs?: number;
  /** … or this long in all. */
  timeoutMs?: number;
  /** Which of the responses answer HEAD requests (no body, whatever the headers say). */
  bodiless?: (index: number) => boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes `bytes` to 127.0.0.1:`port` and reads the answers (see SendOptions for when). */
export async function sendRaw(
  port: number,
  bytes: Buffer,
  options: SendOptions = {},
): Promise<RawExchange> {
  const {
    pieces = 1,
    gapMs = 0,
    end = false,
    expect = 1,
    idleMs = 1_000,
    timeoutMs = 5_000,
    bodiless,
  } = options;
  const socket = net.connect({ host: '127.0.0.1', port });
  const chunks: Buffer[] = [];
  let closed = false;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let idle: NodeJS.Timeout | undefined;
  const restartIdle = () => {
    clearTimeout(idle);
    idle = setTimeout(finish, idleMs);
  };
  socket.on('data', (c: Buffer) => {
    chunks.push(c);
    if (parseResponses(Buffer.concat(chunks), bodiless).responses.length >= expect) finish();
    else restartIdle();
  });
  socket.once('close', () => {
    closed = true;
    finish();
  });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const size = Math.ceil(bytes.length / pieces) || 1;
  for (let at = 0; at < bytes.length; at += size) {
    if (socket.destroyed) break;
    socket.write(bytes.subarray(at, at + size));
    if (gapMs > 0 && at + size < bytes.length) await sleep(gapMs);
  }
  if (end && !socket.destroyed) socket.end();
  restartIdle();
  const total = setTimeout(finish, timeoutMs);
  await finished;
  clearTimeout(total);
  clearTimeout(idle);
  socket.destroy();
  return { ...parseResponses(Buffer.concat(chunks), bodiless), closed };
}

function parseHead(head: string): { status: number; headers: Record<string, string> } {
  const [statusLine = '', ...lines] = head.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? Number.NaN);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status, headers };
}

/** A chunked body from `data`: the body and where it ended, or undefined when cut short. */
function dechunk(data: Buffer): { body: Buffer; end: number } | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size)) return undefined;
    at = lineEnd + 2;
    if (size === 0) {
      const trailerEnd = data.indexOf('\r\n', at);
      return trailerEnd < 0 ? undefined : { body: Buffer.concat(parts), end: trailerEnd + 2 };
    }
    if (data.length < at + size + 2) return undefined;
    parts.push(data.subarray(at, at + size));
    at += size + 2;
  }
}

/**
 * The responses in `data`, framed by Content-Length, chunked encoding or the end of the
 * connection; interim (1xx) answers left out. Answers to HEAD (`bodiless`) and 204/304
 * carry no body whatever their headers say.
 */
export function parseResponses(
  data: Buffer,
  bodiless: (index: number) => boolean = () => false,
): { responses: RawResponse[]; rest: Buffer } {
  const responses: RawResponse[] = [];
  let at = 0;
  while (at < data.length) {
    const headEnd = data.indexOf('\r\n\r\n', at);
    if (headEnd < 0) break;
    const { status, headers } = parseHead(data.subarray(at, headEnd).toString('latin1'));
    const bodyStart = headEnd + 4;
    // Interim answers (100 Continue) precede the final one of the same request: skipped.
    if (status >= 100 && status < 200) {
      at = bodyStart;
      continue;
    }
    if (bodiless(responses.length) || status === 204 || status === 304) {
      responses.push({ status, headers, body: Buffer.alloc(0) });
      at = bodyStart;
      continue;
    }
    if (headers['transfer-encoding']?.toLowerCase().includes('chunked')) {
      const chunked = dechunk(data.subarray(bodyStart));
      if (!chunked) break;
      responses.push({ status, headers, body: chunked.body });
      at = bodyStart + chunked.end;
      continue;
    }
    const length = headers['content-length'];
    if (length === undefined) {
      responses.push({ status, headers, body: data.subarray(bodyStart) });
      at = data.length;
      continue;
    }
    const end = bodyStart + Number(length);
    if (end > data.length) break;
    responses.push({ status, headers, body: data.subarray(bodyStart, end) });
    at = end;
  }
  return { responses, rest: data.subarray(at) };
}
