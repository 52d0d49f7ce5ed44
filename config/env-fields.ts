import { z } from 'zod';

// The shapes of config/env.ts's settings: URLs (whose refusals never quote the value: they
// may carry credentials), lists of nodes, paths and flags.

const hasScheme = (value: string, schemes: readonly string[]): boolean => {
  try {
    return schemes.includes(new URL(value).protocol);
  } catch {
    return false;
  }
};

const schemesText = (schemes: readonly string[]) => schemes.map((s) => `${s}//`).join(' or ');

export const urlWithScheme = (schemes: readonly string[], fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine(
      (value) => hasScheme(value, schemes),
      `must be a URL starting with ${schemesText(schemes)}`,
    );

/** A list of URLs, comma-separated (several nodes of one cluster). */
export const urlsOf = (list: string): string[] =>
  list
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');

export const urlsWithScheme = (schemes: readonly string[], fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine(
      (value) => urlsOf(value).length > 0 && urlsOf(value).every((u) => hasScheme(u, schemes)),
      `must be a URL starting with ${schemesText(schemes)} (several: comma-separated)`,
    );

export const optionalPath = z.string().min(1).optional();
export const nodeList = z
  .string()
  .regex(
    /^\s*[^\s,]+:\d{1,5}\s*(,\s*[^\s,]+:\d{1,5}\s*)*$/,
    'must be host:port pairs separated by commas, e.g. 10.0.0.1:6379,10.0.0.2:6379',
  );
export const flag = (fallback: 'true' | 'false') =>
  z
    .enum(['true', 'false'])
    .default(fallback)
    .transform((v) => v === 'true');
