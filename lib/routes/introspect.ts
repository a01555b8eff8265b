import type { FastifyInstance } from 'fastify'
import { IntrospectionResponse } from '../../schemas/introspect.js'
import { TokenActionRequest } from '../../schemas/revoke.js'
import { OAuthErrorResponse } from '../../schemas/token.js'
import { OAuthError } from '../errors.js'
import { authenticate, type ClientAuthContext } from './client-auth.js'
import { checkHint } from './revoke.js'

/**
 * POST {prefix}{introspectUrl}: token introspection (RFC 7662). Section 2.1 requires the caller
 * be authorized: only a confidential client that authenticates may ask (a resource server is
 * registered as a confidential client, with no grant types if it never asks for tokens), so
 * that nobody can probe which tokens are live.
 */
export function introspectRoute (app: FastifyInstance, opts: ClientAuthContext & { url: string }): void {
  app.post<{ Body: TokenActionRequest }>(opts.url, {
    schema: {
      body: TokenActionRequest,
      response: { 200: IntrospectionResponse, '4xx': OAuthErrorResponse, '5xx': OAuthErrorResponse }
    }
  }, async (request) => {
    const client = await authenticate(request, request.body, opts)
    if (client.clientType !== 'confidential') {
      throw new OAuthError('invalid_client', 'introspection is for confidential clients only')
    }
    checkHint(request.body.token_type_hint)
    return await opts.grants.introspect(request.body.token) ?? { active: false }
  })
}
