import type { FastifyInstance } from 'fastify'
import { OAuthErrorResponse, TokenRequest, TokenResponse } from '../../schemas/token.js'
import { OAuthError } from '../errors.js'
import type { ThrottleKey } from '../throttle.js'
import { authenticate, type ClientAuthContext } from './client-auth.js'

export interface TokenRouteOptions extends ClientAuthContext {
  url: string
  /** The grant types this deployment accepts (option grants). */
  enabledGrants: readonly string[]
}

const REQUIRED: Record<string, Array<keyof TokenRequest>> = {
  password: ['username', 'password'],
  refresh_token: ['refresh_token'],
  client_credentials: []
}

/** POST {prefix}{tokenUrl}: the token endpoint (RFC 6749 sections 3.2, 5). Registered by oauthRoutes. */
export function tokenRoute (app: FastifyInstance, opts: TokenRouteOptions): void {
  app.post<{ Body: TokenRequest }>(opts.url, {
    schema: {
      body: TokenRequest,
      response: { 200: TokenResponse, '4xx': OAuthErrorResponse, '5xx': OAuthErrorResponse }
    }
  }, async (request) => {
    const body = request.body
    const required = REQUIRED[body.grant_type]
    if (required === undefined || !opts.enabledGrants.includes(body.grant_type)) {
      throw new OAuthError('unsupported_grant_type', `grant_type ${body.grant_type} is not supported`)
    }
    const missing = required.filter((name) => body[name] === undefined)
    if (missing.length > 0) throw new OAuthError('invalid_request', `missing parameter: ${missing.join(', ')}`)

    const client = await authenticate(request, body, opts)
    if (!client.allowedGrantTypes.includes(body.grant_type)) {
      throw new OAuthError('unauthorized_client', `this client may not use grant_type ${body.grant_type}`)
    }

    if (body.grant_type === 'password') {
      const user: ThrottleKey = { kind: 'user', value: body.username as string }
      const keys: ThrottleKey[] = [user, { kind: 'address', value: request.ip }]
      await opts.throttle?.check(keys)
      try {
        const tokens = await opts.grants.password(client, body.username as string, body.password as string, body.scope)
        await opts.throttle?.reset(user)
        return tokens
      } catch (err) {
        if (err instanceof OAuthError && err.error === 'invalid_grant') await opts.throttle?.fail(keys)
        throw err
      }
    }
    if (body.grant_type === 'client_credentials') {
      // RFC 6749 section 4.4: confidential clients only.
      if (client.clientType !== 'confidential') throw new OAuthError('unauthorized_client', 'client_credentials is for confidential clients only')
      return opts.grants.clientCredentials(client, body.scope)
    }
    return opts.grants.refresh(client, body.refresh_token as string, body.scope)
  })
}
