import { readFileSync } from 'node:fs';
import type { AnyTRPCRouter } from '@trpc/server';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import { generateOpenApiDocument, type OpenAPIObject } from 'trpc-to-openapi';
import type { ApiMeta } from './trpc';

// /openapi.json, generated from the routers: each procedure's meta.openapi names its REST
// route, its zod input and output schemas give the request and the answer. What the
// generator does not know is added here: the role each call needs, and the refusals in the
// one error shape every route answers with (tRPC's).

const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

interface Refusal {
  codes: string[];
  description: string;
}

/** Every status the API answers with a refusal, with the tRPC codes it carries. */
const REFUSALS: Record<number, Refusal> = {
  400: {
    codes: ['BAD_REQUEST', 'PARSE_ERROR'],
    description:
      'Invalid input: data.issues lists each field (path, message); malformed JSON is an issue at (input). A report month that has not begun has data.reason FutureMonth.',
  },
  401: {
    codes: ['UNAUTHORIZED'],
    description:
      'The token is missing, unknown or failed a check; data.reason names which: MissingToken, UnknownToken, MalformedToken, AlgorithmNotAllowed, UnknownSigningKey, BadSignature, TokenExpired, TokenNotYetValid, WrongIssuer, WrongAudience, MissingSubject',
  },
  403: {
    codes: ['FORBIDDEN'],
    description:
      'The token’s role is below the one this call needs; data.reason NoRole: a person none of whose groups maps to a role',
  },
  404: {
    codes: ['NOT_FOUND'],
    description:
      'Not found (the order, command, rebuild or parked order); a report month before the retention has data.reason PastRetention',
  },
  405: {
    codes: ['METHOD_NOT_SUPPORTED'],
    description: 'This route does not serve the method: the Allow header lists those it does',
  },
  408: {
    codes: ['TIMEOUT'],
    description: 'The request was not received within API_REQUEST_TIMEOUT_MS: send it again',
  },
  409: {
    codes: ['CONFLICT'],
    description:
      'The order’s state refuses the command (already exists, wrong status), a concurrent change won, or the commandId was used for another command',
  },
  413: { codes: ['PAYLOAD_TOO_LARGE'], description: 'The body is over API_MAX_BODY_BYTES' },
  415: {
    codes: ['UNSUPPORTED_MEDIA_TYPE'],
    description: 'A body sent without Content-Type: application/json',
  },
  422: {
    codes: ['UNPROCESSABLE_CONTENT'],
    description:
      'Stored data this version cannot serve exactly: a sum past 2^53 minor units, or an event of a newer version',
  },
  429: {
    codes: ['TOO_MANY_REQUESTS'],
    description:
      'This token has API_MAX_INFLIGHT_PER_TOKEN calls in flight: retry after Retry-After',
  },
  431: {
    codes: ['REQUEST_HEADER_FIELDS_TOO_LARGE'],
    description: 'The request line and headers are over 16 KiB: shorten the query',
  },
  500: {
    codes: ['INTERNAL_SERVER_ERROR'],
    description:
      'A fault of the server, logged with the correlation id; a command retried with the same commandId is safe',
  },
  503: {
    codes: ['SERVICE_UNAVAILABLE'],
    description:
      'A store or Temporal is unavailable, a command passed its deadline (COMMAND_DEADLINE_MS; its outcome is not known yet: resend the same commandId), the server is stopping, or the identity provider’s keys cannot be fetched to check a token (data.reason ProviderUnavailable)',
  },
};

/** What any call can be refused with; meta.openapi.errorResponses adds a procedure's own. */
const COMMON_STATUSES = [400, 401, 403, 405, 408, 413, 415, 429, 431, 500, 503];

type SchemaObject = NonNullable<NonNullable<OpenAPIObject['components']>['schemas']>[string];

const ERROR_SCHEMA: SchemaObject = {
  type: 'object',
  description:
    'Every refusal, of /api and /trpc alike: tRPC’s error shape. data.code names the refusal, data.httpStatus repeats the status.',
  required: ['error'],
  additionalProperties: false,
  properties: {
    error: {
      type: 'object',
      required: ['message', 'code', 'data'],
      additionalProperties: false,
      properties: {
        message: { type: 'string', description: 'What went wrong and what to send instead' },
        code: { type: 'integer', description: 'The JSON-RPC error code tRPC pairs with data.code' },
        data: {
          type: 'object',
          required: ['code', 'httpStatus'],
          additionalProperties: false,
          properties: {
            code: { type: 'string', enum: Object.values(REFUSALS).flatMap((r) => r.codes) },
            httpStatus: { type: 'integer' },
            path: { type: 'string', description: 'The procedure, e.g. orders.place' },
            issues: {
              type: 'array',
              items: {
                type: 'object',
                required: ['path', 'message'],
                additionalProperties: false,
                properties: { path: { type: 'string' }, message: { type: 'string' } },
              },
            },
            reason: {
              type: 'string',
              description:
                'e.g. PastRetention, FutureMonth, TokenExpired (which check a token failed)',
            },
          },
        },
      },
    },
  },
};

/** A refusal's response, once in components.responses (as `Status<n>`) for every operation. */
function refusalResponse(status: number) {
  const refusal = REFUSALS[status];
  const code = refusal?.codes[0];
  if (!refusal || !code) throw new Error(`no refusal is described for ${status}`);
  const jsonRpcCode = (TRPC_ERROR_CODES_BY_KEY as Record<string, number>)[code] ?? -32600;
  return {
    description: refusal.description,
    content: {
      'application/json': {
        example: {
          error: {
            message: refusal.description,
            code: jsonRpcCode,
            data: { code, httpStatus: status, path: 'orders.place' },
          },
        },
        schema: {
          allOf: [
            { $ref: '#/components/schemas/Error' },
            {
              properties: {
                error: {
                  properties: {
                    data: {
                      properties: {
                        code: { enum: refusal.codes },
                        httpStatus: { const: status },
                      },
                    },
                  },
                },
              },
            },
          ],
        },
      },
    },
  };
}

interface Described {
  name: string;
  meta: ApiMeta | undefined;
  hasOutput: boolean;
  /** The input's first `.meta({ examples })`: zod leaves it out of input schemas with transforms. */
  example: unknown;
}

function proceduresOf(router: AnyTRPCRouter): Described[] {
  return Object.entries(router._def.procedures as Record<string, unknown>).map(([name, p]) => {
    const def = (
      p as {
        _def: {
          meta?: ApiMeta;
          output?: unknown;
          inputs: { meta?: () => { examples?: unknown[] } | undefined }[];
        };
      }
    )._def;
    const example = def.inputs[0]?.meta?.()?.examples?.[0];
    return { name, meta: def.meta, hasOutput: def.output !== undefined, example };
  });
}

/**
 * Every procedure must be in the document whole: a REST route, an output schema and a
 * role. Refuses (naming each) rather than leaving a procedure out of the contract.
 */
export function undocumentedProcedures(router: AnyTRPCRouter): string[] {
  return proceduresOf(router).flatMap(({ name, meta, hasOutput }) => [
    ...(meta?.openapi ? [] : [`${name} has no REST route (meta.openapi)`]),
    ...(hasOutput ? [] : [`${name} has no output schema (.output())`]),
    ...(meta?.role ? [] : [`${name} needs no role (use reader/writer/adminProcedure)`]),
  ]);
}

type Operation = {
  description?: string;
  requestBody?: {
    required?: boolean;
    content?: Record<string, { example?: unknown; schema?: { required?: string[] } }>;
  };
  security?: unknown;
  responses: Record<string, unknown>;
  [key: string]: unknown;
};

export function openApiDocument(router: AnyTRPCRouter): OpenAPIObject {
  const missing = undocumentedProcedures(router);
  if (missing.length > 0) throw new Error(`/openapi.json: ${missing.join('; ')}`);
  const document = generateOpenApiDocument(router, {
    title: 'Order reporting API',
    version: VERSION,
    baseUrl: '/',
    description:
      'Orders (commands: place, complete, cancel, refund) and their reports. Each operation is also a tRPC procedure at /trpc/<x-trpc-procedure> (queries GET ?input=<JSON>, mutations POST), answering { result: { data } } with the same data and the same errors. Money is in integer minor units of the currency; currencyDigits says how many digits (2 for EUR).',
    securitySchemes: {
      bearer: {
        type: 'http',
        scheme: 'bearer',
        description:
          'A token of API_TOKENS, or an access token (a JWT) the identity provider of OIDC_ISSUER issued for OIDC_AUDIENCE, whose roles claim maps to a role (OIDC_ROLE_MAP). Roles include those below them: admin > writer > reader; each operation names the role it needs.',
      },
    },
    tags: ['orders', 'reports', 'session', 'admin'],
  });
  const byRoute = new Map(
    proceduresOf(router).map((p) => [
      `${p.meta?.openapi?.method.toLowerCase()} ${p.meta?.openapi?.path}`,
      p,
    ]),
  );
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const [method, value] of Object.entries(item)) {
      const op = value as Operation;
      const procedure = byRoute.get(`${method} ${path}`);
      const role = procedure?.meta?.role;
      if (!procedure || !role) throw new Error(`/openapi.json: ${method} ${path} has no procedure`);
      const own = procedure.meta?.openapi?.errorResponses;
      const statuses = [...new Set([...COMMON_STATUSES, ...(Array.isArray(own) ? own : [])])].sort(
        (a, b) => a - b,
      );
      op['x-trpc-procedure'] = procedure.name;
      op['x-required-role'] = role;
      op.description = `${op.description ?? ''}\n\nRole: ${role}.`.trim();
      op.security = [{ bearer: [] }];
      const media = op.requestBody?.content?.['application/json'];
      if (media && procedure.example !== undefined) media.example = procedure.example;
      // The route's input is required (its path names the order), but a body of only
      // optional fields may be left out: the route takes no body as {}.
      if (op.requestBody && !media?.schema?.required?.length) op.requestBody.required = false;
      op.responses = {
        200: op.responses['200'],
        ...Object.fromEntries(
          statuses.map((s) => [String(s), { $ref: `#/components/responses/Status${s}` }]),
        ),
      };
    }
  }
  // The generator's own error schemas (another shape than the API answers) are unused now.
  const schemas = Object.fromEntries(
    Object.entries(document.components?.schemas ?? {}).filter(([id]) => !id.startsWith('error.')),
  );
  const responses = Object.fromEntries(
    Object.keys(REFUSALS).map((s) => [`Status${s}`, refusalResponse(Number(s))]),
  );
  document.components = {
    ...document.components,
    schemas: { ...schemas, Error: ERROR_SCHEMA },
    responses,
  };
  return document;
}
