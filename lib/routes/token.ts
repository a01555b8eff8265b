import formbody from '@fastify/formbody'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { OAuthErrorResponse, TokenRequest, TokenResponse } from '../../schemas/token.js'
import { authenticateClient } from '../clients.js'
import { OAuthError } from '../errors.js'
import type { Grants } from '../grant.js'
import { oauthErrorHandler } from './errors.js'

export interface TokenRouteOptions {
  url: string
  grants: Grants
  realm: string
  errorUri: string | null
  requireTls: boolean
}

const REQUIRED: Record<string, Array<keyof TokenRequest>> = {
  password: ['username', 'password'],
  refresh_token: ['refresh_token']
}

/** RFC 6749 section 3.2: a parameter sent without a value is treated as omitted. */
function dropEmpty (request: FastifyRequest): void {
  const body = request.body
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return
  for (const [key, value] of Object.entries(body)) {
    if (value === '') delete (body as Record<string, unknown>)[key]
  }
}

/**
 * Credentials and tokens must travel over TLS (RFC 6749 sections 1.6 and 3.2). request.protocol
 * is 'https' on a TLS socket, or behind a trusted proxy that says X-Forwarded-Proto: https.
 */
export async function requireTls (request: FastifyRequest): Promise<void> {
  if (request.protocol !== 'https') throw new OAuthError('invalid_request', 'TLS required: use https')
}

/** POST {prefix}{tokenUrl}: the token endpoint (RFC 6749 sections 3.2, 5). */
export async function tokenRoutes (app: FastifyInstance, opts: TokenRouteOptions): Promise<void> {
  // The host may have registered @fastify/formbody already; its parser is inherited then.
  if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) await app.register(formbody)
  app.setErrorHandler(oauthErrorHandler(opts.errorUri))
  if (opts.requireTls) app.addHook('onRequest', requireTls)

  app.post<{ Body: TokenRequest }>(opts.url, {
    bodyLimit: 16_384,
    schema: {
      body: TokenRequest,
      response: { 200: TokenResponse, '4xx': OAuthErrorResponse, '5xx': OAuthErrorResponse }
    },
    preValidation: async (request) => { dropEmpty(request) }
  }, async (request, reply) => {
    // Tokens are credentials: no cache may keep them (RFC 6749 section 5.1).
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache')
    const body = request.body
    const required = REQUIRED[body.grant_type]
    if (required === undefined) throw new OAuthError('unsupported_grant_type', `grant_type ${body.grant_type} is not supported`)
    const missing = required.filter((name) => body[name] === undefined)
    if (missing.length > 0) throw new OAuthError('invalid_request', `missing parameter: ${missing.join(', ')}`)

    const client = await authenticateClient(opts.grants.store, {
      authorization: request.headers.authorization,
      clientId: body.client_id,
      clientSecret: body.client_secret
    }, opts.realm)
    if (!client.allowedGrantTypes.includes(body.grant_type)) {
      throw new OAuthError('unauthorized_client', `this client may not use grant_type ${body.grant_type}`)
    }

    if (body.grant_type === 'password') {
      return opts.grants.password(client, body.username as string, body.password as string, body.scope)
    }
    return opts.grants.refresh(client, body.refresh_token as string, body.scope)
  })
}
