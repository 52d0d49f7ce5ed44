import { TOKENS } from './app';

/** What a load sends: the four commands of an order's life. */
export type CommandType = 'place' | 'complete' | 'cancel' | 'refund';

/** A command the API acknowledged (200), with when it was sent. */
export interface Acked {
  /** Which of the load's clients sent it. */
  client: number;
  commandId: string;
  orderId: string;
  type: CommandType;
  sentAt: number;
  /** How long the acknowledging attempt took. */
  durationMs: number;
  /** How many earlier attempts of this command id failed. */
  failedAttempts: number;
  /** The API that acknowledged it. */
  url?: string;
}

/** One failed attempt: what the caller saw, classified. */
export interface Failure {
  commandId: string;
  sentAt: number;
  /** How long the caller waited for this answer. */
  durationMs: number;
  /** e.g. "503 SERVICE_UNAVAILABLE", "network", "timeout". */
  kind: string;
  message: string;
  /** The API it was sent to. */
  url?: string;
}

export interface LoadResult {
  acked: Acked[];
  failures: Failure[];
  /** Commands that never succeeded after every attempt with the same command id. */
  abandoned: string[];
}

export type Outcome = { ok: true; orderId: string } | { ok: false; kind: string; message: string };

const REQUEST_TIMEOUT_MS = 60_000;

/** fetch's error with its cause (ECONNREFUSED, a reset socket), which it does not print. */
const why = (err: unknown) => {
  const cause = (err as Error).cause;
  return cause ? `${String(err)} (${String(cause)})` : String(err);
};

/** One command over HTTP as a writer: the answer, or what went wrong, classified. */
export async function callCommand(apiUrl: string, path: string, body: unknown): Promise<Outcome> {
  let res: Response;
  try {
    res = await fetch(`${apiUrl}/trpc/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKENS.writer}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    const name = (err as Error).name;
    return { ok: false, kind: name === 'TimeoutError' ? 'timeout' : 'network', message: why(err) };
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    // The process answering died while it sent the body.
    return { ok: false, kind: 'network', message: why(err) };
  }
  if (res.status === 200) {
    return {
      ok: true,
      orderId: (JSON.parse(text) as { result: { data: { orderId: string } } }).result.data.orderId,
    };
  }
  let code = '?';
  let message = text.slice(0, 300);
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string; data?: { code?: string } } };
    code = parsed.error?.data?.code ?? '?';
    message = parsed.error?.message ?? message;
  } catch {}
  return { ok: false, kind: `${res.status} ${code}`, message };
}
