import fc from 'fast-check';
import { type Json, objectOf, toJsonText, utf8 } from './fuzz';
import type { ProcedureSpec } from './fuzz-procedures';

// Request bodies that are not JSON, or not UTF-8: broken, truncated, padded with garbage.

/** Text that JSON.parse refuses. */
export const BROKEN_JSON = [
  "{'orderId':'x'}",
  '{"orderId":"x",}',
  '{orderId:"x"}',
  'NaN',
  'Infinity',
  '-',
  '{"a":NaN}',
  '{"a":01}',
  '[1,]',
  '/* c */{}',
  '{"a":1e}',
  '"\\x41"',
  '{"a":"\\u00ZZ"}',
  '{"a":"tab\there"}',
  '{"a":"line\nbreak"}',
  'undefined',
  '{',
  '}',
  '{"a":1}}',
  'tru',
  'nul',
  '\u0000',
  '{"a" 1}',
  '{"a":1 "b":2}',
  '{"a":.5}',
  '{"a":+1}',
  '{"a":0x10}',
  '\u00a0{}',
];

const INVALID_UTF8: number[][] = [
  [0xff],
  [0xfe],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xc3],
  [0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xe2, 0x82],
];
const MARK = 'QQfuzzMARKqq';

type Corruption =
  | { kind: 'truncate'; fraction: number }
  | { kind: 'trailing'; garbage: string }
  | { kind: 'leading'; garbage: string }
  | { kind: 'invalidUtf8'; bytes: number[] }
  | { kind: 'broken'; text: string };

const notJsonWhitespace = (s: string) => /[^ \t\n\r]/.test(s) && !s.includes('\ufeff');
export const corruptionArb: fc.Arbitrary<Corruption> = fc.oneof(
  fc
    .double({ min: 0, max: 1, maxExcluded: true, noNaN: true })
    .map((fraction): Corruption => ({ kind: 'truncate', fraction })),
  fc
    .oneof(
      fc.string({ minLength: 1, maxLength: 20 }),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }),
    )
    .filter(notJsonWhitespace)
    .map((garbage): Corruption => ({ kind: 'trailing', garbage })),
  fc
    .oneof(
      fc.string({ minLength: 1, maxLength: 20 }),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }),
    )
    .filter(notJsonWhitespace)
    .map((garbage): Corruption => ({ kind: 'leading', garbage })),
  fc.constantFrom(...INVALID_UTF8).map((bytes): Corruption => ({ kind: 'invalidUtf8', bytes })),
  fc.constantFrom(...BROKEN_JSON).map((text): Corruption => ({ kind: 'broken', text })),
);

/** The corrupted bytes, and whether they still parse as JSON (only invalid UTF-8 does). */
export function corrupt(
  p: ProcedureSpec,
  base: { [key: string]: Json },
  c: Corruption,
): { bytes: Uint8Array; parses: boolean } {
  const text = toJsonText(base);
  switch (c.kind) {
    case 'truncate': {
      const bytes = utf8(text);
      return { bytes: bytes.slice(0, Math.floor(c.fraction * bytes.length)), parses: false };
    }
    case 'trailing':
      return { bytes: utf8(text + c.garbage), parses: false };
    case 'leading':
      return { bytes: utf8(c.garbage + text), parses: false };
    case 'broken':
      return { bytes: utf8(c.text), parses: false };
    case 'invalidUtf8': {
      // Raw bytes at the start of a pattern-checked string: they decode to U+FFFD, so the
      // JSON parses but the value fails its pattern.
      const current = base[p.patternField];
      const marked = objectOf([
        ...Object.entries(base),
        [p.patternField, `${MARK}${typeof current === 'string' ? current : 'x'}`],
      ]);
      const bytes = Buffer.from(toJsonText(marked), 'utf8');
      const at = bytes.indexOf(MARK);
      const out = Buffer.concat([
        bytes.subarray(0, at),
        Buffer.from(c.bytes),
        bytes.subarray(at + MARK.length),
      ]);
      return { bytes: new Uint8Array(out), parses: true };
    }
  }
}
