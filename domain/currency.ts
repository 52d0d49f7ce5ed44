// Currency rules from the runtime's ICU data (CLDR), so no hand-kept table goes stale.

const digitsCache = new Map<string, number>();

/**
 * The currency's minor-unit digits as ISO 4217 / CLDR state them: 2 for EUR, 0 for JPY and
 * KRW, 3 for BHD, KWD, JOD, OMR and TND. A well-formed code the runtime does not know gets 2
 * (CLDR's default), so amounts stored under it stay readable.
 */
export function currencyDigits(currency: string): number {
  let digits = digitsCache.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
      .maximumFractionDigits as number;
    digitsCache.set(currency, digits);
  }
  return digits;
}

/**
 * An integer amount of minor units as a decimal string in the currency's own unit
 * (`formatMinor(1250, 'EUR')` is `12.50`, `formatMinor(1250, 'JPY')` is `1250`). Integer
 * arithmetic on the digits, so totals up to 2^53 print exactly.
 */
export function formatMinor(minor: number, currency: string): string {
  const digits = currencyDigits(currency);
  const sign = minor < 0 ? '-' : '';
  const abs = String(Math.abs(minor));
  if (digits === 0) return `${sign}${abs}`;
  const padded = abs.padStart(digits + 1, '0');
  return `${sign}${padded.slice(0, -digits)}.${padded.slice(-digits)}`;
}

let activeCodes: ReadonlySet<string> | undefined;

/**
 * Whether the code is a currency the runtime lists (`Intl.supportedValuesOf('currency')`):
 * ISO 4217's circulating currencies, plus the few ICU still carries after ISO withdrew them
 * (on Node 20: HRK, CUC, SLL, ZWL, ANG), which history imports may legitimately need.
 */
export function isKnownCurrency(code: string): boolean {
  activeCodes ??= new Set(Intl.supportedValuesOf('currency'));
  return activeCodes.has(code);
}
