import { z } from 'zod';
import { CURRENCY_PATTERN, ID_PATTERN, isStorableText, LIMITS } from '../domain';

export const id = z.string().regex(ID_PATTERN, 'must be 1-64 characters of A-Z a-z 0-9 _ -');

export const currency = z
  .string()
  .regex(CURRENCY_PATTERN, 'must be three upper-case letters (ISO 4217), e.g. EUR');

export const month = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month as YYYY-MM, e.g. 2025-10');

/**
 * An ISO-8601 instant with any offset, normalised to UTC. Years 0001–9999 only: what
 * PostgreSQL and Elasticsearch both store (an offset can push 0000 or 9999 out of range).
 */
export const utcInstant = z.iso
  .datetime({ offset: true, message: 'must be an ISO-8601 timestamp, e.g. 2025-10-31T23:30:00Z' })
  .transform((s) => new Date(s).toISOString())
  .refine(
    (iso) => /^\d{4}-/.test(iso) && !iso.startsWith('0000'),
    'must be between years 0001 and 9999 in UTC',
  );

/** Free text stored in events: well-formed Unicode without NUL, measured as the domain does. */
export const reason = z
  .string()
  .min(1)
  .refine(
    (s) => s.length <= LIMITS.maxReasonLength,
    `must be at most ${LIMITS.maxReasonLength} characters`,
  )
  .refine(isStorableText, 'must be well-formed text without NUL characters');
