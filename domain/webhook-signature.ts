import { createHmac, randomBytes } from 'node:crypto';

// Standard Webhooks signatures (HMAC-SHA256 of "id.timestamp.body"), with node:crypto.
// Not exported from domain/index.ts: workflow code imports that, and node built-ins cannot
// be bundled into workflows.

const SECRET_PREFIX = 'whsec_';
/** Bytes of a new secret: within the spec's 24–64. */
const SECRET_BYTES = 32;

/** A new symmetric secret, `whsec_` and the base64 of random bytes. */
export function newWebhookSecret(bytes = SECRET_BYTES): string {
  if (bytes < 24 || bytes > 64) throw new RangeError('a secret has 24 to 64 bytes');
  return `${SECRET_PREFIX}${randomBytes(bytes).toString('base64')}`;
}

function keyOf(secret: string): Buffer {
  const key = Buffer.from(
    secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret,
    'base64',
  );
  if (key.length < 24 || key.length > 64) throw new RangeError('a secret has 24 to 64 bytes');
  return key;
}

export interface SignedContent {
  /** `webhook-id` */
  id: string;
  /** `webhook-timestamp`: Unix seconds of this attempt. */
  timestamp: number;
  body: string;
}

/**
 * `webhook-signature`: one `v1,<base64>` per secret, space separated — during a rotation
 * the new and the previous secret both sign, so receivers verify with either.
 */
export function signWebhook(content: SignedContent, secrets: readonly string[]): string {
  if (secrets.length === 0) throw new Error('nothing to sign with');
  const signed = `${content.id}.${content.timestamp}.${content.body}`;
  return secrets
    .map((s) => `v1,${createHmac('sha256', keyOf(s)).update(signed).digest('base64')}`)
    .join(' ');
}

/** The three Standard Webhooks headers of one attempt. */
export function webhookHeaders(
  content: SignedContent,
  secrets: readonly string[],
): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  return {
    'webhook-id': content.id,
    'webhook-timestamp': String(content.timestamp),
    'webhook-signature': signWebhook(content, secrets),
  };
}
