import { z } from 'zod';

// What the API keys' and the audit trail's procedures answer. Objects strip what they do
// not name: a key leaves only through apiKeys.create, a digest never.

const instant = z.string().describe('An ISO-8601 instant in UTC');
const role = z.enum(['reader', 'writer', 'admin']);

export const apiKeyOutput = z
  .object({
    id: z.string().describe('Events and the audit trail name the key as key:<id>'),
    name: z.string(),
    role,
    state: z.enum(['active', 'expired', 'revoked']),
    createdBy: z.string().describe('The actor that created it'),
    createdAt: instant,
    expiresAt: instant.nullable().describe('null: never expires'),
    revokedAt: instant.nullable(),
    revokedBy: z.string().nullable(),
    lastUsedAt: instant
      .nullable()
      .describe('Written every few seconds by each API process, not per request'),
  })
  .meta({ id: 'ApiKey' });

export const createdApiKeyOutput = z
  .object({
    id: z.string(),
    key: z
      .string()
      .describe(
        'The key, shown this once: only its digest is stored. Send Authorization: Bearer <key>',
      ),
    name: z.string(),
    role,
    expiresAt: instant.nullable(),
  })
  .meta({ id: 'CreatedApiKey' });

export const apiKeyListOutput = z.object({ keys: z.array(apiKeyOutput) });

export const auditEntryOutput = z
  .object({
    id: z.number().int().describe('Pass the last one as cursor for the next page'),
    at: instant,
    actor: z.string().describe('key:<id>, <role>:<token fingerprint> or cli:<user>'),
    action: z.string().describe('The procedure or tool, e.g. admin.parked.retry, schedules.apply'),
    target: z.string().nullable(),
    details: z.unknown().describe('The action’s input'),
    outcome: z.string().describe('ok, or the refusal’s code (NOT_FOUND, CONFLICT, …)'),
    message: z.string().nullable(),
    correlationId: z.string().nullable(),
  })
  .meta({ id: 'AuditEntry' });

export const auditListOutput = z.object({
  entries: z.array(auditEntryOutput),
  nextCursor: z.number().int().nullable().describe('null: no older entry'),
});
