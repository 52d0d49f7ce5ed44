import type { z } from 'zod';

// How a REST call's query string, body and path become a procedure's input: the same zod
// input the tRPC route parses, so both routes refuse the same things with the same issues.

/** A body that was sent but is not JSON: the procedure answers it as tRPC does (400). */
export class MalformedJsonBody {
  constructor(readonly error: SyntaxError) {}
}

type Kind = 'number' | 'boolean' | 'other';

/** What a field of `schema` takes, seen through optional/default/nullable wrappers. */
function kindOf(field: z.ZodType | undefined): Kind {
  let t = field as { _zod?: { def: { type: string; innerType?: unknown } } } | undefined;
  while (t?._zod && ['optional', 'default', 'nullable', 'prefault'].includes(t._zod.def.type)) {
    t = t._zod.def.innerType as typeof t;
  }
  const type = t?._zod?.def.type;
  return type === 'number' ? 'number' : type === 'boolean' ? 'boolean' : 'other';
}

const NUMBER_TEXT = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * A query string as input: text where the schema takes numbers or booleans becomes one
 * when it spells one exactly ("20", "true"); anything else is left as sent for the schema
 * to refuse with its own words. A repeated key stays a list (refused: no field takes one).
 */
export function queryInput(
  query: Record<string, string | string[] | undefined>,
  schema: z.ZodType | undefined,
): Record<string, unknown> {
  const shape = (schema as { shape?: Record<string, z.ZodType> } | undefined)?.shape ?? {};
  const input: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    const kind = Object.hasOwn(shape, key) ? kindOf(shape[key]) : 'other';
    if (typeof value !== 'string' || kind === 'other') input[key] = value;
    else if (kind === 'number' && NUMBER_TEXT.test(value)) input[key] = Number(value);
    else if (kind === 'boolean' && (value === 'true' || value === 'false'))
      input[key] = value === 'true';
    else input[key] = value;
  }
  return input;
}

/**
 * A body and the path's parameters as input (a parameter wins over a body field of its
 * name). No body is an empty object; a body that is not an object is handed on as it is,
 * for the schema to refuse.
 */
export function bodyInput(body: unknown, params: Record<string, string>): unknown {
  if (body === undefined) return { ...params };
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  return { ...(body as Record<string, unknown>), ...params };
}
