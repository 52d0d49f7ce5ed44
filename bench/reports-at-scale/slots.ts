// The questions the report scenarios ask, in turn: one monthly report per slot.
import { CURRENCIES } from '../load-orders';

export type Slot = { month: string; currency: string; region: string | null };

/** Every (month, currency) of 2025, all regions; queries take them in turn. */
export const SLOTS: Slot[] = Array.from(
  { length: 12 },
  (_, m) => `2025-${String(m + 1).padStart(2, '0')}`,
).flatMap((month) => CURRENCIES.map((currency) => ({ month, currency, region: null })));
export const slotAt = (i: number): Slot => SLOTS[i % SLOTS.length] as Slot;
