import type { FastifyInstance } from 'fastify'
import { TokenActionRequest } from '../../schemas/revoke.js'
import { OAuthErrorResponse } from '../../schemas/token.js'
import { OAuthError } from '../errors.js'
import { authenticate, type ClientAuthContext } from './client-auth.js'

export const TOKEN_TYPE_HINTS = ['access_token', 'refresh_token']

/** RFC 7009 section 2.2.1: a hint outside the registry's values is unsupported_token_type. */
export function checkHint (hint: string | undefined): void {
  if (hint !== undefined && !TOKEN_TYPE_HINTS.includes(hint)) {
    throw new OAuthError('unsupported_token_type', `token_type_hint must be access_token or refresh_token, got ${hint.slice(0, 64)}`)
  }
}

/**
 * POST {prefix}{revokeUrl}: token revocation (RFC 7009). The hint only saves a lookup elsewhere;
 * here every token is found by its hash, so it is checked and otherwise ignored (section 2.1).
 */
export function revokeRoute (app: FastifyInstance, opts: ClientAuthContext & { url: string }): void {
  app.post<{ Body: TokenActionRequest }>(opts.url, {
    schema: {
      body: TokenActionRequest,
      response: { '4xx': OAuthErrorResponse, '5xx': OAuthErrorResponse }
    }
  }, async (request, reply) => {
    const client = await authenticate(request, request.body, opts)
    checkHint(request.body.token_type_hint)
    await opts.grants.revoke(client, request.body.token)
    // Section 2.2: 200 whether or not there was anything to revoke; the body is ignored.
    return reply.code(200).send()
  })
}
