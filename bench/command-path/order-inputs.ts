// What the command lanes send: varied customers, regions, currencies and products.

// Order n has region REGIONS[n % 3] and currency CURRENCIES[n % 3]: each currency one region.
export const REGIONS = ['eu', 'na', 'apac'] as const;
export const CURRENCIES = ['EUR', 'USD', 'GBP'] as const;

let orderSeq = 0;

/** An orders.place input (without commandId). */
export function placeInput() {
  const n = orderSeq++;
  return {
    customerId: `c-${n % 997}`,
    region: REGIONS[n % 3] ?? 'eu',
    currency: CURRENCIES[n % 3] ?? 'EUR',
    items: [
      { productId: `sku-${n % 101}`, quantity: 1 + (n % 5), unitPriceMinor: 1250 },
      { productId: `sku-${(n * 7) % 101}`, quantity: 2, unitPriceMinor: 399 },
    ],
  };
}
