// Business limits shared by the domain and the API's input schemas.
export const LIMITS = {
  minItems: 1,
  maxItems: 100,
  minQuantity: 1,
  maxQuantity: 10_000,
  minUnitPriceMinor: 0,
  maxUnitPriceMinor: 1_000_000_000,
  maxReasonLength: 500,
  /** How far past the server's clock a caller's `at` may be: clocks of two machines differ. */
  maxClockSkewMs: 5 * 60_000,
} as const;

/** Ids are 1–64 characters of letters, digits, `_` and `-`. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** ISO 4217 style: three upper-case letters. */
export const CURRENCY_PATTERN = /^[A-Z]{3}$/;

// 100 lines × 10,000 units × 10^9 minor units = 10^15 < Number.MAX_SAFE_INTEGER (≈ 9·10^15),
// so order totals are exact as JS numbers.

/** Text that PostgreSQL's jsonb can store: well-formed UTF-16 (no lone surrogates), no NUL. */
export function isStorableText(s: string): boolean {
  return s.isWellFormed() && !s.includes('\u0000');
}
