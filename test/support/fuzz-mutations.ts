import fc from 'fast-check';
import { INJECTION_OBJECTS, INJECTIONS, type Json, objectOf, RawJson, smallJson } from './fuzz';
import type { ProcedureSpec } from './fuzz-procedures';

// Invalid inputs made from valid ones (a field wrong, missing, or one too many), and whole
// inputs of the wrong shape.

type Mutation =
  | { kind: 'invalid'; field: string; value: Json }
  | { kind: 'missing'; field: string }
  | { kind: 'extra'; key: string; value: Json };

const EXTRA_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '$where',
  '$ne',
  'id',
  'orderID',
  'OrderId',
  'order_id',
  'at',
  'reason',
  'items',
  'status',
  'commandId',
  'input',
  'json',
  'batch',
  '',
  ' ',
];

function extraKey(p: ProcedureSpec): fc.Arbitrary<string> {
  const known = new Set(p.fields.map((f) => f.name));
  return fc
    .oneof(
      fc.constantFrom(...EXTRA_KEYS),
      fc.string({ maxLength: 12 }),
      fc.string({ unit: 'binary', maxLength: 6 }),
    )
    .filter((k) => !known.has(k));
}

function mutationArb(p: ProcedureSpec): fc.Arbitrary<Mutation> {
  const options: fc.Arbitrary<Mutation>[] = [];
  for (const f of p.fields) {
    options.push(f.invalid.map((value): Mutation => ({ kind: 'invalid', field: f.name, value })));
    if (f.required) options.push(fc.constant<Mutation>({ kind: 'missing', field: f.name }));
  }
  options.push(
    fc
      .tuple(extraKey(p), smallJson)
      .map(([key, value]): Mutation => ({ kind: 'extra', key, value })),
  );
  return fc.oneof(...options);
}

export const mutationsArb = (p: ProcedureSpec) =>
  fc.uniqueArray(mutationArb(p), {
    minLength: 1,
    maxLength: 3,
    selector: (m) => (m.kind === 'extra' ? `extra:${m.key}` : m.field),
  });

/** The mutated input and the issue paths the API must report for it. */
export function applyMutations(
  base: { [key: string]: Json },
  mutations: readonly Mutation[],
): { input: { [key: string]: Json }; paths: string[] } {
  const entries = new Map<string, Json>(Object.entries(base));
  const paths: string[] = [];
  for (const m of mutations) {
    if (m.kind === 'invalid') {
      entries.set(m.field, m.value);
      paths.push(m.field);
    } else if (m.kind === 'missing') {
      entries.delete(m.field);
      paths.push(m.field);
    } else {
      entries.set(m.key, m.value);
      paths.push('(input)');
    }
  }
  return { input: objectOf(entries), paths };
}

/** Whole inputs that are no object of the procedure's shape at all. */
export function garbageInput(p: ProcedureSpec): fc.Arbitrary<Json | undefined> {
  const known = new Set(p.fields.map((f) => f.name));
  const needsSomething = p.fields.some((f) => f.required);
  return fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom('1e308', '-0', '1e309', '9007199254740993').map((t) => new RawJson(t)),
    fc.string({ maxLength: 30 }),
    fc.constantFrom(...INJECTIONS),
    fc.array(smallJson, { maxLength: 5 }),
    fc.constantFrom(...INJECTION_OBJECTS),
    fc
      .dictionary(fc.string({ maxLength: 10 }), smallJson, { minKeys: 1, maxKeys: 4 })
      .filter((d) => Object.keys(d).some((k) => !known.has(k))),
    ...(needsSomething ? [fc.constant({})] : []),
  );
}
