import { randomUUID } from 'node:crypto';
import {
  type Acked,
  type CommandType,
  callCommand,
  type LoadResult,
} from '../support/command-calls';

const ATTEMPTS = 8;
/** Each client's orders at most: the load is bounded even if nobody stops it. */
const MAX_ORDERS_PER_CLIENT = 400;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Clients sending every command of an order's life — place, then complete, complete and
 * refund, cancel, or nothing — spread over the API processes (client n starts on API
 * n mod count). They follow the product's contract: a failed call is retried with the same
 * commandId, so it takes effect once whichever API answers. A call that found no API
 * (refused, reset, no answer) goes to the next one, and the client stays there: its API
 * may be gone. A 503 is retried on the same API after a backoff.
 */
export function startClusterLoad(apiUrls: string[], concurrency: number, currency: string) {
  const result: LoadResult = { acked: [], failures: [], abandoned: [] };
  const apiOf = Array.from({ length: concurrency }, (_, n) => n % apiUrls.length);
  let stopping = false;

  const send = async (
    client: number,
    path: string,
    type: CommandType,
    body: Record<string, unknown>,
  ): Promise<string | null> => {
    const commandId = randomUUID();
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const url = apiUrls[apiOf[client] ?? 0] ?? '';
      const sentAt = Date.now();
      const outcome = await callCommand(url, path, { ...body, commandId });
      const durationMs = Date.now() - sentAt;
      if (outcome.ok) {
        result.acked.push({
          client,
          commandId,
          orderId: outcome.orderId,
          type,
          sentAt,
          durationMs,
          failedAttempts: attempt,
          url,
        });
        return outcome.orderId;
      }
      result.failures.push({ commandId, sentAt, durationMs, url, ...outcome });
      if (outcome.kind === 'network' || outcome.kind === 'timeout') {
        apiOf[client] = ((apiOf[client] ?? 0) + 1) % apiUrls.length;
      } else {
        await sleep(500 * (attempt + 1));
      }
    }
    result.abandoned.push(commandId);
    return null;
  };

  const client = async (n: number) => {
    for (let i = 0; !stopping && i < MAX_ORDERS_PER_CLIENT; i++) {
      const orderId = await send(n, 'orders.place', 'place', {
        customerId: `c-${n}`,
        region: n % 2 ? 'north' : 'south',
        currency,
        items: [
          { productId: `p-${i % 5}`, quantity: 1 + (i % 3), unitPriceMinor: 100 + n },
          { productId: `p-${(i + 2) % 5}`, quantity: 1, unitPriceMinor: 250 },
        ],
      });
      if (!orderId) continue;
      switch (i % 4) {
        case 0:
          await send(n, 'orders.complete', 'complete', { orderId });
          break;
        case 1:
          if (await send(n, 'orders.complete', 'complete', { orderId })) {
            await send(n, 'orders.refund', 'refund', { orderId, reason: 'cluster tier' });
          }
          break;
        case 2:
          await send(n, 'orders.cancel', 'cancel', { orderId, reason: 'cluster tier' });
          break;
        default: // left placed
      }
    }
  };
  const running = Promise.all(Array.from({ length: concurrency }, (_, n) => client(n)));
  return {
    result,
    /** Whether every client has had `count` commands sent at or after `since` acknowledged. */
    everyClientAckedSince(since: number, count = 1): boolean {
      const perClient = new Map<number, number>();
      for (const a of result.acked) {
        if (a.sentAt >= since) perClient.set(a.client, (perClient.get(a.client) ?? 0) + 1);
      }
      return [...Array(concurrency).keys()].every((n) => (perClient.get(n) ?? 0) >= count);
    },
    async stop(): Promise<LoadResult> {
      stopping = true;
      await running;
      return result;
    },
  };
}

/** Acknowledged commands by type, for the log line. */
export function countByType(acked: Acked[]): Record<CommandType, number> {
  const counts = { place: 0, complete: 0, cancel: 0, refund: 0 };
  for (const a of acked) counts[a.type]++;
  return counts;
}
