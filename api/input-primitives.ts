import { z } from 'zod';
import { CURRENCY_PATTERN, ID_PATTERN, isKnownCurrency, isStorableText, LIMITS } from '../domain';

export const id = z.string().regex(ID_PATTERN, 'must be 1-64 characters of A-Z a-z 0-9 _ -');

/**
 * A currency code as orders may already carry it: three upper-case letters. Queries take
 * this, so reports of orders stored before codes were checked stay readable.
 */
export const currencyCode = z
  .string()
  .regex(CURRENCY_PATTERN, 'must be three upper-case letters (ISO 4217), e.g. EUR');

/** A currency for a new order: an ISO 4217 code the runtime lists (`Intl.supportedValuesOf`). */
export const currency = z
  .string()
  .regex(CURRENCY_PATTERN, {
    message: 'must be three upper-case letters (ISO 4217), e.g. EUR',
    abort: true,
  })
  .refine(isKnownCurrency, 'must be an ISO 4217 currency code in use, e.g. EUR, USD or JPY');

export const month = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month as YYYY-MM, e.g. 2025-10');

const SHORT_INSTANT = /^(\d{4}-\d\d-\d\dT\d\d:\d\d)(:\d\d(?:\.\d+)?)?(Z|([+-]\d\d)(?::?(\d\d))?)$/;

/**
 * The spellings ISO 8601 allows that the strict parser does not: no seconds
 * (`2024-08-03T10:00Z`), and offsets as `+0530` or `+05`. Anything else is left as it is.
 */
function completeIsoInstant(s: string): string {
  const m = SHORT_INSTANT.exec(s);
  if (!m) return s;
  const [, minutes, seconds = ':00', zulu, offsetHours, offsetMinutes = '00'] = m;
  return `${minutes}${seconds}${offsetHours ? `${offsetHours}:${offsetMinutes}` : zulu}`;
}

/**
 * An ISO-8601 instant with any offset, normalised to UTC. Years 0001–9999 only: what
 * PostgreSQL and Elasticsearch both store (an offset can push 0000 or 9999 out of range).
 */
export const utcInstant = z
  .string()
  .transform(completeIsoInstant)
  .pipe(
    z.iso.datetime({
      offset: true,
      message: 'must be an ISO-8601 timestamp with an offset, e.g. 2025-10-31T23:30:00Z',
    }),
  )
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
