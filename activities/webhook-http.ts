import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { refusedAddress } from '../domain/webhook-addresses';

// One webhook POST. The host is resolved here and every address it resolves to is checked
// by the address rule; the connection then goes to the address checked (the socket's own
// lookup answers with it), so a DNS answer that changes between check and connect cannot
// reach a private address. node:http(s) rather than fetch: its `lookup` option pins the
// address while TLS still verifies the certificate against the host name.

export class AddressRefusedError extends Error {
  override name = 'AddressRefusedError';
}

export interface CheckedAddress {
  address: string;
  family: number;
}

/** Resolves `hostname` and checks every address; throws AddressRefusedError if one is refused. */
export async function resolveChecked(
  hostname: string,
  allowPrivate: boolean,
): Promise<CheckedAddress> {
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  const family = isIP(host);
  const addresses = family
    ? [{ address: host, family }]
    : await lookup(host, { all: true, verbatim: true });
  const first = addresses[0];
  if (!first) throw new AddressRefusedError(`${hostname} resolves to no address`);
  if (!allowPrivate) {
    for (const a of addresses) {
      const why = refusedAddress(a.address);
      if (why) {
        throw new AddressRefusedError(
          `${hostname} resolves to ${a.address} (${why}); set SUBSCRIPTIONS_ALLOW_PRIVATE_URLS=true to allow it`,
        );
      }
    }
  }
  return first;
}

export interface PostResult {
  status: number;
  retryAfter: string | null;
  durationMs: number;
}

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 32 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 32 }),
};

/** At most this much of a response is read (and thrown away). */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * POSTs `body` to `url` at the checked address within `timeoutMs`; resolves with the
 * status whatever it is, rejects on a refused address, a network failure or the deadline.
 */
export async function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: { allowPrivate: boolean; timeoutMs: number; signal?: AbortSignal },
): Promise<PostResult> {
  const target = new URL(url);
  const checked = await resolveChecked(target.hostname, options.allowPrivate);
  const pinned: LookupFunction = (_host, opts, callback) => {
    if (opts.all) callback(null, [checked]);
    else callback(null, checked.address, checked.family);
  };
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
  const started = performance.now();
  const protocol = target.protocol === 'https:' ? https : http;
  return await new Promise<PostResult>((resolve, reject) => {
    const req = protocol.request(
      target,
      {
        method: 'POST',
        agent: agents[target.protocol as 'http:' | 'https:'],
        lookup: pinned,
        signal,
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'order-reporting-webhooks/1',
        },
      },
      (res) => {
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_RESPONSE_BYTES) res.destroy();
        });
        const done = () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: res.headers['retry-after'] ?? null,
            durationMs: Math.round(performance.now() - started),
          });
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      },
    );
    req.on('error', (err) => {
      reject(deadline.aborted ? new Error(`no answer within ${options.timeoutMs} ms`) : err);
    });
    req.end(body);
  });
}
