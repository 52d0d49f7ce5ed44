import { currencyDigits, formatMinor as exactDecimal } from '../../domain/currency';

const formats = new Map<string, Intl.NumberFormat>();

function formatFor(currency: string): Intl.NumberFormat {
  let f = formats.get(currency);
  if (!f) {
    f = new Intl.NumberFormat(undefined, { style: 'currency', currency });
    formats.set(currency, f);
  }
  return f;
}

/** The currency's minor-unit digits, the server's rule (domain/currency.ts): JPY 0, EUR 2, BHD 3. */
export function minorDigits(currency: string): number {
  return currencyDigits(currency);
}

/**
 * Integer minor units shown in the currency's major unit: 1250 EUR is €12.50. The decimal is
 * the server's exact string, which Intl formats as written: dividing by 10^digits as a float
 * would show wrong cents near 2^53 (9007199254720991 EUR cents as …209.90).
 */
export function formatMinor(minor: number, currency: string): string {
  return formatFor(currency).format(exactDecimal(minor, currency) as Intl.StringNumericLiteral);
}

export function formatPercent(ratio: number | null): string {
  if (ratio === null || !Number.isFinite(ratio)) return '—';
  return new Intl.NumberFormat(undefined, {
    style: 'percent',
    maximumFractionDigits: 1,
    signDisplay: 'exceptZero',
  }).format(ratio);
}
