// Which addresses a webhook may be delivered to: a pure rule, applied to every address a
// subscription's host resolves to, at create and again at each delivery (the connection
// then goes to the address checked, so a DNS answer that changes cannot slip past).

/** IPv4 ranges no public endpoint lives in (RFC 6890 and friends), as [first octets, bits]. */
const REFUSED_V4: readonly [string, number, string][] = [
  ['0.0.0.0', 8, 'this network'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (carrier-grade NAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

function parseV4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    value = value * 256 + n;
  }
  return value;
}

/** 16 bytes of an IPv6 address (zone id dropped, embedded dotted IPv4 allowed), or null. */
function parseV6(text: string): number[] | null {
  const address = text.replace(/%.*$/, '');
  if (!address.includes(':')) return null;
  const halves = address.split('::');
  if (halves.length > 2) return null;
  const groups = (half: string | undefined): number[] | null => {
    if (!half) return [];
    const out: number[] = [];
    const pieces = half.split(':');
    for (const [i, piece] of pieces.entries()) {
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseV4(piece);
        if (v4 === null) return null;
        out.push(Math.floor(v4 / 65536), v4 % 65536);
      } else if (/^[0-9a-f]{1,4}$/i.test(piece)) {
        out.push(Number.parseInt(piece, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...Array<number>(halves.length === 1 ? 0 : missing).fill(0), ...tail];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

function v4Refusal(value: number): string | null {
  for (const [base, bits, why] of REFUSED_V4) {
    const size = 2 ** (32 - bits);
    const start = parseV4(base) ?? 0;
    if (value >= start && value < start + size) return why;
  }
  return value === 0xffffffff ? 'broadcast' : null;
}

const startsWith = (bytes: number[], prefix: number[]) => prefix.every((b, i) => bytes[i] === b);
const v4Of = (bytes: number[]) =>
  ((bytes[12] ?? 0) * 2 ** 24 +
    ((bytes[13] ?? 0) << 16) +
    ((bytes[14] ?? 0) << 8) +
    (bytes[15] ?? 0)) >>>
  0;

function v6Refusal(bytes: number[]): string | null {
  const zeros = (n: number) => Array<number>(n).fill(0);
  if (bytes.every((b) => b === 0)) return 'unspecified';
  if (startsWith(bytes, [...zeros(15), 1])) return 'loopback';
  // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) reach the IPv4 address inside.
  if (
    startsWith(bytes, [...zeros(10), 0xff, 0xff]) ||
    startsWith(bytes, [0, 0x64, 0xff, 0x9b, ...zeros(8)])
  ) {
    const inner = v4Refusal(v4Of(bytes));
    return inner ? `IPv4 ${inner} (embedded)` : null;
  }
  // IPv4-compatible (::a.b.c.d), deprecated: never a public endpoint.
  if (startsWith(bytes, zeros(12))) return 'IPv4-compatible';
  const first = bytes[0] ?? 0;
  const second = bytes[1] ?? 0;
  if ((first & 0xfe) === 0xfc) return 'unique-local';
  if (first === 0xfe && (second & 0xc0) === 0x80) return 'link-local';
  if (first === 0xfe && (second & 0xc0) === 0xc0) return 'site-local';
  if (first === 0xff) return 'multicast';
  if (first === 0x20 && second === 0x01 && bytes[2] === 0x0d && bytes[3] === 0xb8)
    return 'documentation';
  return null;
}

/**
 * Why a webhook may not be delivered to this resolved address (private, loopback,
 * link-local, unique-local, an IPv4-mapped one of those, …), or null when it may. Text that
 * is no IP address is refused too: only resolved addresses are checked.
 */
export function refusedAddress(ip: string): string | null {
  const v4 = parseV4(ip);
  if (v4 !== null) return v4Refusal(v4);
  const v6 = parseV6(ip);
  if (v6 !== null) return v6Refusal(v6);
  return 'not an IP address';
}

/** Why a subscription URL is refused before any lookup (scheme, credentials), or null. */
export function webhookUrlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must be http(s)';
  if (parsed.username || parsed.password) return 'must not carry credentials';
  if (!parsed.hostname) return 'has no host';
  return null;
}
