import { randomUUID } from 'node:crypto';
import type { TestApp } from '../support/app';
import { type Acked, callCommand, type LoadResult } from '../support/command-calls';

export type { LoadResult };

const ATTEMPTS = 6;

/**
 * Clients placing and completing orders until `stop()`. Like well-behaved callers they
 * retry a failed call with the same commandId (a few times, with backoff), so faults also
 * exercise idempotency; every failed attempt is recorded with what the caller saw.
 */
export function startLoad(app: TestApp, concurrency: number, currency = 'CHF') {
  const result: LoadResult = { acked: [], failures: [], abandoned: [] };
  let stopping = false;
  const send = async (
    client: number,
    path: string,
    type: Acked['type'],
    body: Record<string, unknown>,
  ) => {
    const commandId = randomUUID();
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const sentAt = Date.now();
      const outcome = await callCommand(app.url, path, { ...body, commandId });
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
        });
        return outcome.orderId;
      }
      result.failures.push({
        commandId,
        sentAt,
        durationMs,
        kind: outcome.kind,
        message: outcome.message,
      });
      await new Promise((r) => setTimeout(r, 1_000 * (attempt + 1)));
    }
    result.abandoned.push(commandId);
    return null;
  };
  const client = async (n: number) => {
    for (let i = 0; !stopping; i++) {
      const orderId = await send(n, 'orders.place', 'place', {
        customerId: `c-${n}`,
        region: n % 2 ? 'north' : 'south',
        currency,
        items: [{ productId: `p-${i % 5}`, quantity: 1 + (i % 3), unitPriceMinor: 100 + n }],
      });
      if (orderId && i % 2 === 0) await send(n, 'orders.complete', 'complete', { orderId });
    }
  };
  const running = Promise.all(Array.from({ length: concurrency }, (_, n) => client(n)));
  return {
    result,
    /** Whether every client has had a command sent at or after `since` acknowledged. */
    everyClientAckedSince(since: number): boolean {
      const clients = new Set(result.acked.filter((a) => a.sentAt >= since).map((a) => a.client));
      return clients.size === concurrency;
    },
    async stop(): Promise<LoadResult> {
      stopping = true;
      await running;
      return result;
    },
  };
}

/** What a fault case allows callers to see, and when. */
export interface FailureBudget {
  /** Failure kinds allowed for attempts sent during the fault, each with a message it must match. */
  allowed: { kind: string; message: RegExp }[];
  /** Attempts sent this long after the heal must all succeed. */
  settleMs: number;
}

/**
 * Checks a load run against a fault's budget: during the fault only the allowed kinds of
 * failure, after the heal (plus settling time) none, nothing abandoned, and commands
 * acknowledged after the heal.
 */
export function checkBudget(
  result: LoadResult,
  window: { faultAt: number; healedAt: number },
  budget: FailureBudget,
): string[] {
  const problems: string[] = [];
  const settled = window.healedAt + budget.settleMs;
  for (const f of result.failures) {
    if (f.sentAt >= settled) {
      const after = ((f.sentAt - window.healedAt) / 1000).toFixed(1);
      problems.push(`sent ${after} s after the heal: ${f.kind} ${f.message}`);
    } else if (!budget.allowed.some((a) => a.kind === f.kind && a.message.test(f.message))) {
      problems.push(`not allowed during the fault: ${f.kind} ${f.message}`);
    }
  }
  if (result.abandoned.length > 0) {
    problems.push(
      `${result.abandoned.length} command(s) never succeeded after retries with the same commandId`,
    );
  }
  const afterHeal = result.acked.filter((a) => a.sentAt >= settled).length;
  if (afterHeal < 5) problems.push(`only ${afterHeal} command(s) acknowledged after the heal`);
  return [...new Set(problems)];
}
