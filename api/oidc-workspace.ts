import type { FastifyInstance } from 'fastify';
import { trpcErrorBody } from './http-refusals';
import type { OidcVerifier } from './oidc';
import { SIGN_IN_CONFIG_PATH, type SignInConfig } from './sign-in-config';

/**
 * The origins the workspace may call besides its own: the provider's token endpoint
 * (the code exchange and renewals are fetches from the page). Before discovery has
 * answered only the issuer's origin is known, which is where most providers serve it.
 */
export function providerOrigins(verifier: OidcVerifier | undefined): string[] {
  if (!verifier?.settings.clientId) return [];
  const origins = new Set([new URL(verifier.settings.issuer).origin]);
  const known = verifier.known();
  if (known) origins.add(new URL(known.token_endpoint).origin);
  return [...origins];
}

/**
 * Anyone may read it (it holds no secret: a public client's id and the provider's public
 * endpoints). No sign-in button without OIDC_CLIENT_ID: the page offers the token paste.
 */
export function registerSignInConfig(app: FastifyInstance, verifier: OidcVerifier | undefined) {
  app.get(SIGN_IN_CONFIG_PATH, async (_request, reply) => {
    void reply.header('cache-control', 'no-store');
    const clientId = verifier?.settings.clientId;
    if (!verifier || !clientId) return reply.send({ oidc: null } satisfies SignInConfig);
    try {
      const metadata = await verifier.discover();
      const answer: SignInConfig = {
        oidc: {
          issuer: metadata.issuer,
          clientId,
          scopes: verifier.settings.scopes,
          authorizationEndpoint: metadata.authorization_endpoint,
          tokenEndpoint: metadata.token_endpoint,
          ...(metadata.end_session_endpoint
            ? { endSessionEndpoint: metadata.end_session_endpoint }
            : {}),
        },
      };
      return reply.send(answer);
    } catch {
      return reply
        .code(503)
        .type('application/json')
        .send(
          trpcErrorBody(
            'SERVICE_UNAVAILABLE',
            503,
            'the identity provider cannot be reached now: retry shortly, or sign in with an API token',
          ),
        );
    }
  });
}
