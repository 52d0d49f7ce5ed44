// Reading the API's tRPC answers (plain JSON, no transformer) off the wire.
import type { HttpReply } from './load';

/** What a command replies once its events are committed. */
export interface CommandReplyBody {
  orderId: string;
  version: number;
  position: number;
}

/** The procedure's data, or a short description of the error (status, tRPC code, message). */
export function parseTrpc<T>(reply: HttpReply): { data?: T; error?: string } {
  try {
    const body = JSON.parse(reply.body) as {
      result?: { data?: T };
      error?: { message?: string; data?: { code?: string } };
    };
    if (reply.status === 200 && body.result?.data) return { data: body.result.data };
    const code = body.error?.data?.code ?? '';
    return { error: `${reply.status} ${code} ${body.error?.message ?? ''}`.slice(0, 80) };
  } catch {
    return { error: `${reply.status} ${reply.body}`.slice(0, 80) };
  }
}
