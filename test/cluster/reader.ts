import { TOKENS } from '../support/app';
import type { Failure } from '../support/command-calls';

export interface ReportQuery {
  month: string;
  currency: string;
  view?: 'restated' | 'booked';
}

/** reports.monthly over HTTP as a reader: the report, or an error saying what went wrong. */
export async function readReport(apiUrl: string, query: ReportQuery): Promise<unknown> {
  const input = encodeURIComponent(JSON.stringify(query));
  const res = await fetch(`${apiUrl}/trpc/reports.monthly?input=${input}`, {
    headers: { authorization: `Bearer ${TOKENS.reader}` },
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (res.status !== 200) {
    const parsed = JSON.parse(text) as { error?: { message?: string; data?: { code?: string } } };
    throw Object.assign(new Error(parsed.error?.message ?? text.slice(0, 300)), {
      kind: `${res.status} ${parsed.error?.data?.code ?? '?'}`,
    });
  }
  return (JSON.parse(text) as { result: { data: unknown } }).result.data;
}

/**
 * A reader asking for the month's report every half second — filling the report cache
 * while the projections invalidate it — on the first API, then the next when one is gone.
 */
export function startReader(apiUrls: string[], query: ReportQuery) {
  const failures: Failure[] = [];
  let ok = 0;
  let lastOkSentAt = 0;
  let api = 0;
  let stopping = false;
  const loop = (async () => {
    for (let i = 0; !stopping; i++) {
      const url = apiUrls[api] ?? '';
      const sentAt = Date.now();
      try {
        await readReport(url, { ...query, view: i % 2 ? 'booked' : 'restated' });
        ok++;
        lastOkSentAt = sentAt;
      } catch (err) {
        const e = err as Error & { kind?: string; cause?: unknown };
        const kind = e.kind ?? (e.name === 'TimeoutError' ? 'timeout' : 'network');
        const message = e.cause ? `${String(e)} (${String(e.cause)})` : String(e);
        failures.push({
          commandId: '-',
          sentAt,
          durationMs: Date.now() - sentAt,
          kind,
          message,
          url,
        });
        if (kind === 'network' || kind === 'timeout') api = (api + 1) % apiUrls.length;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  return {
    failures,
    /** Whether a read sent at or after `since` has been answered. */
    answeredSince: (since: number) => lastOkSentAt >= since,
    async stop(): Promise<{ ok: number; failures: Failure[] }> {
      stopping = true;
      await loop;
      return { ok, failures };
    },
  };
}
