// The command load of every command-path measurement: closed-loop lanes each sending
// orders.place then orders.complete (one command per request) through the real API, and the
// projection lag a client sees: from a reply until orders.get shows that version.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { epochMs, type HttpReply, httpRequest, type LaneStep, type Sample } from './load';
import { type Summary, summarize } from './stats';

// Order n has region REGIONS[n % 3] and currency CURRENCIES[n % 3].
export const REGIONS = ['eu', 'na', 'apac'] as const;
export const CURRENCIES = ['EUR', 'USD', 'GBP'] as const;
let orderSeq = 0;

/** An orders.place input: varied customers, regions, currencies and products. */
export function placeInput() {
  const n = orderSeq++;
  return {
    commandId: randomUUID(),
    customerId: `c-${n % 997}`,
    region: REGIONS[n % 3] ?? 'eu',
    currency: CURRENCIES[n % 3] ?? 'EUR',
    items: [
      { productId: `sku-${n % 101}`, quantity: 1 + (n % 5), unitPriceMinor: 1250 },
      { productId: `sku-${(n * 7) % 101}`, quantity: 2, unitPriceMinor: 399 },
    ],
  };
}

/** What a command replies once its events are committed. */
export interface CommandReply {
  orderId: string;
  version: number;
  position: number;
}

/** A tRPC answer's data, or a short description of its error (status, code, message). */
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

/** A command answered: which, when, and its reply when it succeeded. */
export interface Answered {
  commandId: string;
  sentAt: number;
  repliedAt: number;
  reply: CommandReply | undefined;
}

/** The API to load: its tRPC base URL and a writer's token. */
export interface CommandApi {
  trpcUrl: string;
  token: string;
}

/** One lane: place an order, then complete it; `onAnswer` sees every command answered. */
export function commandLane(
  agent: http.Agent,
  api: CommandApi,
  onAnswer?: (a: Answered) => void,
): LaneStep {
  const headers = { authorization: `Bearer ${api.token}` };
  const send = async (
    kind: string,
    body: { commandId: string; [field: string]: unknown },
    record: (s: Sample) => void,
  ) => {
    const sentAt = epochMs();
    const r = await httpRequest(agent, `${api.trpcUrl}/orders.${kind}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    }).catch((err: Error): HttpReply => ({ status: 0, body: err.message }));
    const repliedAt = epochMs();
    const parsed = parseTrpc<CommandReply>(r);
    const sample: Sample = { kind, ok: !!parsed.data, sentAt, latencyMs: repliedAt - sentAt };
    if (parsed.error) sample.error = parsed.error;
    record(sample);
    onAnswer?.({ commandId: body.commandId, sentAt, repliedAt, reply: parsed.data });
    return parsed.data;
  };
  return async (record, stopped) => {
    const placed = await send('place', placeInput(), record);
    if (!placed || stopped()) return;
    await send('complete', { commandId: randomUUID(), orderId: placed.orderId }, record);
  };
}

/** Until one command succeeds (the workers may start after the API answers). */
export async function waitUntilServing(api: CommandApi, timeoutMs = 120_000): Promise<void> {
  const agent = new http.Agent({ keepAlive: true });
  const deadline = Date.now() + timeoutMs;
  let served = false;
  let refused = '';
  const lane = commandLane(agent, api, (a) => {
    served ||= !!a.reply;
  });
  const note = (s: Sample) => {
    refused = s.error ?? refused;
  };
  try {
    while (!served) {
      if (Date.now() > deadline) throw new Error(`${api.trpcUrl}: no command served: ${refused}`);
      await lane(note, () => true);
      if (!served) await sleep(500);
    }
  } finally {
    agent.destroy();
  }
}

export interface LagResult {
  followed: number;
  timeouts: number;
  /** Replies not followed: every follower was busy. */
  skipped: number;
  ms: Summary;
}

/** Follows replies until orders.get (a plain read, polled every 10 ms) shows their version. */
export class LagFollowers {
  private static readonly MAX = 64;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: LagFollowers.MAX });
  private readonly lags: number[] = [];
  private readonly running = new Set<Promise<void>>();
  private followed = 0;
  private timeouts = 0;
  private skipped = 0;

  constructor(private readonly api: CommandApi) {}

  follow(reply: CommandReply, repliedAt: number): void {
    if (this.running.size >= LagFollowers.MAX) {
      this.skipped++;
      return;
    }
    this.followed++;
    const input = encodeURIComponent(JSON.stringify({ orderId: reply.orderId }));
    const url = `${this.api.trpcUrl}/orders.get?input=${input}`;
    const headers = { authorization: `Bearer ${this.api.token}` };
    const p = (async () => {
      for (;;) {
        const r = await httpRequest(this.agent, url, { method: 'GET', headers }).catch(() => null);
        const seen = r && parseTrpc<{ version: number }>(r).data;
        if (seen && seen.version >= reply.version)
          return void this.lags.push(epochMs() - repliedAt);
        if (epochMs() - repliedAt > 15_000) return void this.timeouts++;
        await sleep(10);
      }
    })();
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  async finish(): Promise<LagResult> {
    await Promise.all(this.running);
    this.agent.destroy();
    const { followed, timeouts, skipped } = this;
    return { followed, timeouts, skipped, ms: summarize(this.lags) };
  }
}
