// A benchmark's command-line flags: `--name value` (repeatable; lists also comma-separated),
// `--quick`. Anything unknown is refused: a mistyped flag never starts a full run.
import { parseArgs } from 'node:util';

export function readFlags(names: string[], argv = process.argv.slice(2)) {
  const options = Object.fromEntries(names.map((n) => [n, { type: 'string', multiple: true }]));
  const { values } = parseArgs({
    args: argv,
    options: { ...options, quick: { type: 'boolean' } },
    strict: true,
  } as Parameters<typeof parseArgs>[0]) as { values: Record<string, unknown> };
  /** Every value given, in order. */
  const all = (name: string): string[] => {
    const v = values[name];
    return Array.isArray(v) ? v.map(String) : [];
  };
  const items = (name: string) => all(name).flatMap((v) => v.split(',').filter(Boolean));
  const check = (name: string, raw: string | number, integer: boolean): number => {
    const n = Number(raw);
    if (!(n >= 0) || (integer && !Number.isInteger(n)))
      throw new Error(`--${name} must be a non-negative ${integer ? 'integer' : 'number'}`);
    return n;
  };
  return {
    quick: values.quick === true,
    all,
    string: (name: string): string | undefined => all(name).at(-1),
    int: (name: string, fallback: number) => check(name, all(name).at(-1) ?? fallback, true),
    number: (name: string, fallback: number) => check(name, all(name).at(-1) ?? fallback, false),
    ints: (name: string, fallback: number[]) =>
      items(name).length ? items(name).map((v) => check(name, v, true)) : fallback,
    /** Values of `allowed` only. */
    list<T extends string>(name: string, allowed: readonly T[], fallback: readonly T[]): T[] {
      for (const v of items(name))
        if (!(allowed as readonly string[]).includes(v))
          throw new Error(`--${name}: "${v}" is not one of ${allowed.join(', ')}`);
      return items(name).length ? (items(name) as T[]) : [...fallback];
    },
  };
}
