import { randomBytes } from 'node:crypto';

// PostgreSQL array literals for appendBatch, built here: the driver's generic encoder
// escapes element by element with regular expressions, which costs about as much CPU as
// the database's insert.

// JSON's string quoting is the array literal's element quoting, unless the text holds
// control characters or surrogates (JSON would write those as escapes the array
// parser does not know): those few take the slow, exact path.
export const textArray = (values: readonly string[]): string =>
  `{${values
    .map((v) =>
      // biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
      /[\u0000-\u001f\ud800-\udfff]/.test(v)
        ? `"${v.replace(/[\\"]/g, '\\$&')}"`
        : JSON.stringify(v),
    )
    .join(',')}}`;
export const intArray = (values: readonly number[]): string => `{${values.join(',')}}`;

// Event ids in time order (UUID version 7: milliseconds, then a sequence within the
// batch, then 48 random bits): a batch's ids land together in the event_id index
// instead of on thousands of random pages (append's random ids are fine one by one).
export const timeOrderedIds = (count: number): string[] => {
  const ms = Date.now().toString(16).padStart(12, '0');
  const random = randomBytes(count * 6);
  return Array.from({ length: count }, (_, i) => {
    const seq = i & 0x3ff_ffff;
    const high = (0x7000 | (seq >>> 14)).toString(16);
    const low = (0x8000 | (seq & 0x3fff)).toString(16);
    return `${ms.slice(0, 8)}-${ms.slice(8)}-${high}-${low}-${random.toString('hex', i * 6, i * 6 + 6)}`;
  });
};
