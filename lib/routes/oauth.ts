import formbody from '@fastify/formbody'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { OAuthError } from '../errors.js'
import { redactRequest } from '../redact.js'
import type { ClientAuthContext } from './client-auth.js'
import { oauthErrorHandler } from './errors.js'
import { introspectRoute } from './introspect.js'
import { revokeRoute } from './revoke.js'
import { tokenRoute } from './token.js'

export interface OAuthRoutesOptions extends ClientAuthContext {
  tokenUrl: string | false
  revokeUrl: string | false
  introspectUrl: string | false
  enabledGrants: readonly string[]
  errorUri: string | null
  requireTls: boolean
}

/**
 * Credentials and tokens must travel over TLS (RFC 6749 sections 1.6 and 3.2). request.protocol
 * is 'https' on a TLS socket, or behind a trusted proxy that says X-Forwarded-Proto: https.
 */
export async function requireTls (request: FastifyRequest): Promise<void> {
  if (request.protocol !== 'https') throw new OAuthError('invalid_request', 'TLS required: use https')
}

/** RFC 6749 section 3.2: a parameter sent without a value is treated as omitted. */
async function dropEmpty (request: FastifyRequest): Promise<void> {
  const body = request.body
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return
  for (const [key, value] of Object.entries(body)) {
    if (value === '') delete (body as Record<string, unknown>)[key]
  }
}

// RFC 6749 section 2.3.1: client credentials MUST NOT be in the request URI; section 3.2 and
// RFC 7009 / 7662 send the rest in the body too. A URI ends up in logs, proxies and histories.
const URI_FORBIDDEN = ['client_id', 'client_secret', 'username', 'password', 'refresh_token', 'access_token', 'token', 'code']

async function refuseQueryCredentials (request: FastifyRequest): Promise<void> {
  const query = request.query as Record<string, unknown>
  const found = URI_FORBIDDEN.filter((name) => Object.hasOwn(query, name))
  if (found.length > 0) throw new OAuthError('invalid_request', `send ${found.join(', ')} in the request body, never in the URI (RFC 6749 section 2.3.1)`)
}

/**
 * The token, revocation and introspection endpoints in one encapsulated child, so that formbody,
 * the TLS requirement, the query check, log redaction and the RFC 6749 error contract apply to
 * all three and to nothing of the host's.
 */
export async function oauthRoutes (app: FastifyInstance, opts: OAuthRoutesOptions): Promise<void> {
  // The host may have registered @fastify/formbody already; its parser is inherited then.
  if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) await app.register(formbody)
  app.setErrorHandler(oauthErrorHandler(opts.errorUri))
  app.addHook('onRoute', (route) => {
    route.logSerializers = { ...route.logSerializers, req: redactRequest }
    route.bodyLimit ??= 16_384
  })
  // Tokens and introspection results are credentials: no cache may keep them (RFC 6749 section 5.1).
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache')
  })
  app.addHook('preValidation', dropEmpty)
  if (opts.requireTls) app.addHook('onRequest', requireTls)
  app.addHook('onRequest', refuseQueryCredentials)

  const ctx: ClientAuthContext = { grants: opts.grants, realm: opts.realm, throttle: opts.throttle }
  if (opts.tokenUrl !== false) tokenRoute(app, { ...ctx, url: opts.tokenUrl, enabledGrants: opts.enabledGrants })
  if (opts.revokeUrl !== false) revokeRoute(app, { ...ctx, url: opts.revokeUrl })
  if (opts.introspectUrl !== false) introspectRoute(app, { ...ctx, url: opts.introspectUrl })
}
