// Projection lag as a client sees it: from a command's reply until `orders.get` (no
// minVersion: a plain read, polled every 10 ms) returns the order at that version or later.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { epochMs, httpRequest } from './load';
import { type Summary, summarize } from './stats';
import { type CommandReplyBody, parseTrpc } from './trpc-reply';

const LAG_TIMEOUT_MS = 15_000;
const LAG_POLL_MS = 10;
/** Most orders followed at once; a reply that finds them all busy is skipped (counted). */
const MAX_LAG_FOLLOWERS = 64;

export interface LagResult {
  followed: number;
  timeouts: number;
  skipped: number;
  ms: Summary;
}

export class LagFollowers {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: MAX_LAG_FOLLOWERS });
  private readonly headers: Record<string, string>;
  private readonly lags: number[] = [];
  private readonly following = new Set<Promise<void>>();
  private followed = 0;
  private timeouts = 0;
  private skipped = 0;

  constructor(
    private readonly apiUrl: string,
    readerToken: string,
  ) {
    this.headers = { authorization: `Bearer ${readerToken}` };
  }

  /** Polls the order of `reply` until it shows that version (or 15 s have passed). */
  follow(reply: CommandReplyBody, repliedAt: number): void {
    if (this.following.size >= MAX_LAG_FOLLOWERS) {
      this.skipped++;
      return;
    }
    this.followed++;
    const input = encodeURIComponent(JSON.stringify({ orderId: reply.orderId }));
    const url = `${this.apiUrl}/trpc/orders.get?input=${input}`;
    const p = (async () => {
      for (;;) {
        const r = await httpRequest(this.agent, url, {
          method: 'GET',
          headers: this.headers,
        }).catch(() => undefined);
        const seen = r && parseTrpc<{ version: number }>(r).data;
        if (seen && seen.version >= reply.version) {
          this.lags.push(epochMs() - repliedAt);
          return;
        }
        if (epochMs() - repliedAt > LAG_TIMEOUT_MS) {
          this.timeouts++;
          return;
        }
        await sleep(LAG_POLL_MS);
      }
    })();
    this.following.add(p);
    void p.finally(() => this.following.delete(p));
  }

  /** Waits for every follower to see its version or time out; the lags. */
  async finish(): Promise<LagResult> {
    await Promise.all(this.following);
    this.agent.destroy();
    return {
      followed: this.followed,
      timeouts: this.timeouts,
      skipped: this.skipped,
      ms: summarize(this.lags),
    };
  }
}
