import fc from 'fast-check';
import { MAX_RANGE_MONTHS } from '../../api/query-inputs';
import {
  hugeString,
  INJECTIONS,
  instantBetween,
  invalidFormat,
  invalidIdString,
  invalidInt,
  type Json,
  objectOf,
  validId,
  wrongType,
} from './fuzz';

// The API's input fields for the fuzz (test/api-fuzz-*.test.ts): for each, an arbitrary of
// values the API must accept and one of values it must refuse, with the oracles that decide.

export interface Field {
  name: string;
  required: boolean;
  valid: fc.Arbitrary<Json>;
  invalid: fc.Arbitrary<Json>;
}

const moreCodePointsThan = (n: number) => (s: string) => [...s].length > n;
export const pad2 = (n: number) => String(n).padStart(2, '0');
const LOOSE_UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
// Seconds may be left out, and an offset written +05:30, +0530 or +05 (ISO 8601 allows each).
const LOOKS_LIKE_INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d(:?\d\d)?)$/;
/** The same instant in the spelling Date.parse reads: seconds and a +HH:MM offset. */
export const fullInstant = (s: string) =>
  s
    .replace(/^(\d{4}-\d\d-\d\dT\d\d:\d\d)(?=[Z+-])/, '$1:00')
    .replace(/([+-]\d\d)(\d\d)$/, '$1:$2')
    .replace(/([+-]\d\d)$/, '$1:00');
export const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
export const CURRENCY = /^[A-Z]{3}$/;
export const STATUSES = ['placed', 'completed', 'cancelled', 'refunded'];
export const READ_MODELS = ['elasticsearch', 'redis'];

/**
 * Instants the schemas accept: any offset, as long as the instant in UTC falls in years
 * 0001–9999 (what PostgreSQL and Elasticsearch both store).
 */
export const EDGE_INSTANTS = [
  '0001-01-01T00:00:00Z',
  '2024-08-03T10:00Z',
  '2024-08-03T10:00:00+0530',
  '2024-08-03T10:00-03',
  '0000-12-31T23:59:59-00:01',
  '9999-12-31T23:59:59.999999Z',
  '9999-12-31T23:59:59+00:01',
  '2024-02-29T12:00:00+05:30',
  '1970-01-01T00:00:00Z',
];
const validInstant: fc.Arbitrary<string> = fc.oneof(fc.constantFrom(...EDGE_INSTANTS), {
  weight: 4,
  arbitrary: instantBetween(new Date('0001-01-01T00:00:00Z'), new Date('9999-12-31T23:59:59.999Z')),
});
/** Well-formed instants outside years 0001–9999 in UTC, by their year or by their offset. */
export const OUT_OF_RANGE_INSTANTS = [
  '0000-01-01T00:00:00Z',
  '0000-12-31T23:59:59.999Z',
  '0001-01-01T00:00:00+00:01',
  '9999-12-31T23:59:59-00:01',
  '9999-12-31T23:00:00-01:00',
];
export const outOfRangeInstant: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...OUT_OF_RANGE_INSTANTS),
  instantBetween(new Date('0000-01-01T00:00:00Z'), new Date('0000-12-31T23:59:59.999Z')),
  instantBetween(new Date('+010000-01-01T00:00:00Z'), new Date('+010000-01-01T01:59:59.999Z')),
);
export const INVALID_INSTANTS = [
  '2025-13-01T00:00:00Z',
  '2025-02-30T00:00:00Z',
  '2025-02-29T00:00:00Z',
  '2025-01-01',
  '2025-01-01T00:00:00',
  '2025-01-01T24:00:00Z',
  '2025-01-01T00:00:60Z',
  '2025-01-01 00:00:00Z',
  '2025-01-01T00:00:00+24:00',
  '2025-01-01T00:00:00z',
  '20250101T000000Z',
  '+002025-01-01T00:00:00Z',
  '-000001-01-01T00:00:00Z',
  '2025-01-01T00:00:00.Z',
  '1735689600000',
  'yesterday',
  'now',
];
/** The oracle: the format by a loose pattern, the calendar by the samples, the range in UTC. */
function isAcceptedInstant(s: string): boolean {
  if (!LOOKS_LIKE_INSTANT.test(s) || INVALID_INSTANTS.includes(s)) return false;
  const year = new Date(fullInstant(s)).getUTCFullYear();
  return year >= 1 && year <= 9999;
}
export const instantField = (name: string): Field => ({
  name,
  required: false,
  valid: validInstant,
  invalid: fc.oneof(
    invalidFormat([...INVALID_INSTANTS, ...OUT_OF_RANGE_INSTANTS], isAcceptedInstant),
    outOfRangeInstant,
  ),
});

export const validMonth = fc
  .tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 1, max: 12 }))
  .map(([y, m]) => `${String(y).padStart(4, '0')}-${pad2(m)}`);
export const monthField = (name: string): Field => ({
  name,
  required: true,
  valid: validMonth,
  invalid: invalidFormat(
    [
      '2025-13',
      '2025-00',
      '2025-1',
      '25-01',
      '2025-01-01',
      '2025/01',
      '202501',
      '2025-1O',
      ' 2025-01',
      '2025-01 ',
      '2025-01\n',
      '-2025-01',
      '+2025-01',
      '２０２５-01',
    ],
    (s) => MONTH.test(s),
  ),
});

export const idField = (name: string, required = true): Field => ({
  name,
  required,
  valid: validId,
  invalid: fc.oneof(invalidIdString, wrongType('string')),
});
const MALFORMED_CURRENCIES = [
  'eur',
  'EU',
  'EURO',
  'E1R',
  ' EUR',
  'EUR ',
  'EUR\n',
  'ÉUR',
  '€',
  'usd',
  'EUr',
];
/** Queries read what is stored: any three upper-case letters. */
export const currencyField = (required = true): Field => ({
  name: 'currency',
  required,
  valid: fc.stringMatching(CURRENCY),
  invalid: invalidFormat(MALFORMED_CURRENCIES, (s) => CURRENCY.test(s)),
});
/** A new order needs an ISO 4217 code the runtime lists; well-formed others are refused. */
const ISO_CURRENCIES = Intl.supportedValuesOf('currency');
export const newOrderCurrencyField: Field = {
  name: 'currency',
  required: true,
  valid: fc.constantFrom(...ISO_CURRENCIES),
  invalid: fc.oneof(
    invalidFormat(MALFORMED_CURRENCIES, (s) => ISO_CURRENCIES.includes(s)),
    fc
      .constantFrom('XYZ', 'ABC', 'QQQ', 'XXX', 'XTS', 'DEM')
      .filter((s) => !ISO_CURRENCIES.includes(s)),
  ),
};
export const intField = (name: string, min: number, max: number, required = false): Field => ({
  name,
  required,
  valid: fc.integer({ min, max }),
  invalid: invalidInt(min, max),
});
export const enumField = (
  name: string,
  values: string[],
  samples: string[],
  required = true,
): Field => ({
  name,
  required,
  valid: fc.constantFrom(...values),
  invalid: invalidFormat(samples, (s) => values.includes(s)),
});
export const commandIdField: Field = {
  name: 'commandId',
  required: false,
  valid: fc.uuid(),
  invalid: invalidFormat(
    [
      'not-a-uuid',
      '123e4567-e89b-12d3-a456-42661417400',
      '{123e4567-e89b-12d3-a456-426614174000}',
      '123e4567-e89b-12d3-a456-426614174000x',
      'urn:uuid:123e4567-e89b-12d3-a456-426614174000',
    ],
    (s) => LOOSE_UUID.test(s),
  ),
};
/** `at` must not be in the future: valid ones end a day before the run, future ones are refused. */
const DAY_MS = 86_400_000;
export const pastInstant: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...EDGE_INSTANTS.filter((i) => Date.parse(fullInstant(i)) < Date.now())),
  {
    weight: 4,
    arbitrary: instantBetween(new Date('0001-01-01T00:00:00Z'), new Date(Date.now() - DAY_MS)),
  },
);
const futureInstant: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('9999-12-31T23:59:59.999999Z', '2099-01-01T00:00:00Z'),
  instantBetween(new Date(Date.now() + DAY_MS), new Date('9999-12-31T23:59:59.999Z')),
);
export const atField: Field = {
  ...instantField('at'),
  valid: pastInstant,
  invalid: fc.oneof(instantField('at').invalid, futureInstant),
};
/** A reason the API stores: 1–500 UTF-16 code units of well-formed text without U+0000. */
const isValidReason = (s: string) =>
  s.length >= 1 && s.length <= 500 && s.isWellFormed() && !s.includes('\u0000');
/** Text PostgreSQL cannot store (U+0000) or that is not well-formed UTF-16 (lone surrogates). */
const unstorableReason: fc.Arbitrary<string> = fc
  .tuple(
    fc.string({ maxLength: 50 }),
    fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff'),
    fc.string({ maxLength: 50 }),
  )
  .map(([a, bad, b]) => `${a}${bad}${b}`);
export const reasonField: Field = {
  name: 'reason',
  required: true,
  valid: fc.oneof(
    fc.string({ minLength: 1, maxLength: 500 }),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 120 }).filter(isValidReason),
    fc.constantFrom(...INJECTIONS.filter(isValidReason), 'x'.repeat(500), '😀'.repeat(250)),
  ),
  // Over 500 UTF-16 units even when zod would count fewer code points (251 emoji).
  invalid: fc.oneof(
    fc.constant(''),
    hugeString(501),
    fc.constantFrom('😀'.repeat(251), `${'😀'.repeat(250)}x`),
    unstorableReason,
    wrongType('string'),
  ),
};

const validItem = fc.record({
  productId: validId,
  quantity: fc.integer({ min: 1, max: 10_000 }),
  unitPriceMinor: fc.integer({ min: 0, max: 1_000_000_000 }),
});
const invalidItem: fc.Arbitrary<Json> = fc.oneof(
  wrongType('object'),
  fc
    .tuple(validItem, invalidIdString)
    .map(([item, productId]) => objectOf([...Object.entries(item), ['productId', productId]])),
  fc
    .tuple(validItem, invalidInt(1, 10_000))
    .map(([item, quantity]) => objectOf([...Object.entries(item), ['quantity', quantity]])),
  fc
    .tuple(validItem, invalidInt(0, 1_000_000_000))
    .map(([item, price]) => objectOf([...Object.entries(item), ['unitPriceMinor', price]])),
  fc
    .tuple(validItem, fc.constantFrom('productId', 'quantity', 'unitPriceMinor'))
    .map(([item, drop]) => objectOf(Object.entries(item).filter(([k]) => k !== drop))),
  fc
    .tuple(validItem, fc.constantFrom('lineTotalMinor', 'currency', '__proto__', 'price', ''))
    .map(([item, extra]) => objectOf([...Object.entries(item), [extra, 1]])),
);
export const itemsField: Field = {
  name: 'items',
  required: true,
  valid: fc.array(validItem, { minLength: 1, maxLength: 5 }),
  invalid: fc.oneof(
    wrongType('array'),
    fc.constant<Json>([]),
    // Too many lines, one repeated: from just over the limit to well over the body limit.
    fc
      .tuple(validItem, fc.integer({ min: 101, max: 2_000 }))
      .map(([item, n]) => Array.from({ length: n }, () => item)),
    fc
      .tuple(
        fc.array(validItem, { maxLength: 4 }),
        invalidItem,
        fc.array(validItem, { maxLength: 4 }),
      )
      .map(([before, bad, after]) => [...before, bad, ...after]),
  ),
};
export const readModelField = enumField('readModel', READ_MODELS, [
  'Redis',
  'REDIS',
  'es',
  'elastic',
  'elasticsearch ',
  'postgres',
  'all',
  '*',
  'redis\u0000',
]);

export const forceField: Field = {
  name: 'force',
  required: false,
  valid: fc.boolean(),
  invalid: fc.constantFrom<Json>('true', 'false', 1, 0, null, [], {}),
};
export const cursorField: Field = {
  name: 'cursor',
  required: false,
  valid: fc.string({ maxLength: 1024 }),
  invalid: fc.oneof(wrongType('string'), hugeString(1025, 20_000).filter(moreCodePointsThan(1024))),
};
/** `from` plus 0 … MAX_RANGE_MONTHS - 1 months, within year 9999: the ranges the API serves. */
export const validMonthRange = fc
  .tuple(validMonth, fc.integer({ min: 0, max: MAX_RANGE_MONTHS - 1 }))
  .map(([from, span]) => {
    const [y, m] = from.split('-').map(Number) as [number, number];
    const last = Math.min(y * 12 + m - 1 + span, 9999 * 12 + 11);
    return [from, `${String(Math.floor(last / 12)).padStart(4, '0')}-${pad2((last % 12) + 1)}`];
  });

export type Entry = readonly [string, Json];

/** An input of valid values for the fields, the optional ones present or not. */
export function fieldsInput(fields: Field[]): fc.Arbitrary<{ [key: string]: Json }> {
  const parts = fields.map((f) =>
    f.required
      ? f.valid.map((v): Entry[] => [[f.name, v]])
      : fc
          .option(f.valid, { nil: undefined })
          .map((v): Entry[] => (v === undefined ? [] : [[f.name, v]])),
  );
  return fc.tuple(...parts).map((groups) => objectOf(groups.flat()));
}
