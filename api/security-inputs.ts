import { z } from 'zod';
import { utcInstant } from './input-primitives';
import { MAX_CURSOR } from './subscription-inputs';

// The inputs of the API keys' and the audit trail's procedures (docs/security.md).

export const KEY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 ._:@/-]{0,99}$/;

export const createApiKeyInput = z.strictObject({
  name: z
    .string()
    .regex(
      KEY_NAME_PATTERN,
      'must be 1-100 characters of letters, digits, space and . _ : @ / -, starting with a letter or digit',
    ),
  role: z.enum(['reader', 'writer', 'admin']),
  /** Absent: the key never expires (revoke it when it is no longer needed). */
  expiresAt: utcInstant.optional(),
});

export const apiKeyIdInput = z.strictObject({ id: z.uuid('must be an API key id (a UUID)') });

export const auditListInput = z.strictObject({
  /** Exactly as recorded: `key:<id>`, `admin:<fingerprint>`, `cli:<user>`. */
  actor: z.string().min(1).max(200).optional(),
  /** A procedure (`admin.parked.retry`) or a tool's action (`schedules.apply`). */
  action: z.string().min(1).max(100).optional(),
  from: utcInstant.optional(),
  to: utcInstant.optional(),
  /** The `nextCursor` of the previous page. */
  cursor: z.number().int().min(1).max(MAX_CURSOR).optional(),
  limit: z.number().int().min(1).max(200).optional(),
});
