import { errors } from '@elastic/elasticsearch';

/** The HTTP status and Elasticsearch error type of a failed request, if it got an answer. */
export function responseErrorOf(err: unknown): { status: number; type: string | null } | null {
  if (!(err instanceof errors.ResponseError)) return null;
  const body: unknown = err.body;
  let type: string | null = null;
  if (typeof body === 'object' && body !== null && 'error' in body) {
    const error: unknown = body.error;
    if (typeof error === 'object' && error !== null && 'type' in error) {
      type = typeof error.type === 'string' ? error.type : null;
    }
  }
  return { status: err.meta.statusCode ?? 0, type };
}
