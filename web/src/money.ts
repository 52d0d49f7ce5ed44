const formats = new Map<string, Intl.NumberFormat>();

function formatFor(currency: string): Intl.NumberFormat {
  let f = formats.get(currency);
  if (!f) {
    f = new Intl.NumberFormat(undefined, { style: 'currency', currency });
    formats.set(currency, f);
  }
  return f;
}

/** The currency's minor-unit digits as Intl knows them: JPY 0, EUR 2, BHD 3. */
export function minorDigits(currency: string): number {
  return formatFor(currency).resolvedOptions().maximumFractionDigits ?? 2;
}

/** Integer minor units shown in the currency's major unit: 1250 EUR is €12.50. */
export function formatMinor(minor: number, currency: string): string {
  return formatFor(currency).format(minor / 10 ** minorDigits(currency));
}

export function formatPercent(ratio: number | null): string {
  if (ratio === null || !Number.isFinite(ratio)) return '—';
  return new Intl.NumberFormat(undefined, {
    style: 'percent',
    maximumFractionDigits: 1,
    signDisplay: 'exceptZero',
  }).format(ratio);
}
