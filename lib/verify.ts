import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import type { AccessInfo, Grants } from './grant.js'

export type VerifyError = 'invalid_request' | 'invalid_token' | 'insufficient_scope'

const statusOf: Record<VerifyError, number> = { invalid_request: 400, invalid_token: 401, insufficient_scope: 403 }

// RFC 6750 section 2.1: credentials = "Bearer" 1*SP b64token
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i

interface Extracted { token?: string, error?: string }

/** RFC 6750 section 2: the header, the form body, or (when allowed) the query; never two at once. */
function extract (request: FastifyRequest, allowQuery: boolean): Extracted {
  const found: string[] = []
  let token: string | undefined
  const header = request.headers.authorization
  if (header !== undefined && /^bearer(\s|$)/i.test(header)) {
    const match = BEARER.exec(header)
    if (match === null) return { error: 'malformed Authorization: Bearer header' }
    token = match[1]
    found.push('header')
  }
  // Section 2.2: only in an application/x-www-form-urlencoded body, and never with GET.
  const body = request.body as Record<string, unknown> | undefined
  if (request.method !== 'GET' && body !== null && typeof body === 'object' && 'access_token' in body &&
      (request.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    if (typeof body.access_token !== 'string') return { error: 'access_token must be given once' }
    token = body.access_token
    found.push('body')
  }
  const query = request.query as Record<string, unknown> | undefined
  if (query !== null && typeof query === 'object' && 'access_token' in query) {
    if (!allowQuery) return { error: 'access_token in the query string is not accepted; use the Authorization header' }
    if (typeof query.access_token !== 'string') return { error: 'access_token must be given once' }
    token = query.access_token
    found.push('query')
  }
  if (found.length > 1) return { error: 'send the access token one way only (RFC 6750 section 2)' }
  return token === undefined ? {} : { token }
}

export interface Challenge {
  realm: string
  allowQueryToken: boolean
}

function quote (value: string): string {
  return '"' + value.replace(/["\\]/g, '\\$&') + '"'
}

/** Answers an RFC 6750 section 3 challenge. With no error, the bare challenge of a request that sent no token. */
export function challenge (reply: FastifyReply, realm: string, error?: VerifyError, description?: string, scope?: string): FastifyReply {
  let header = `Bearer realm=${quote(realm)}`
  if (error === undefined) {
    return reply.code(401).header('www-authenticate', header).send({ error: 'unauthorized', error_description: 'an access token is required' })
  }
  header += `, error=${quote(error)}`
  if (description !== undefined) header += `, error_description=${quote(description)}`
  if (scope !== undefined) header += `, scope=${quote(scope)}`
  return reply.code(statusOf[error]).header('www-authenticate', header).send({ error, error_description: description })
}

/**
 * fastify.sentinel.verify: a preHandler that admits a request with a live access token and sets
 * request.oauth; otherwise it answers the RFC 6750 challenge itself.
 */
export function createVerify (grants: Grants, opts: Challenge) {
  return async function verify (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const { token, error } = extract(request, opts.allowQueryToken)
    if (error !== undefined) {
      challenge(reply, opts.realm, 'invalid_request', error)
      return
    }
    if (token === undefined) {
      challenge(reply, opts.realm)
      return
    }
    let info: AccessInfo | null
    try {
      info = await grants.lookupAccess(token)
    } catch (err) {
      request.log.error({ err }, 'fastify-sentinel: token lookup failed')
      reply.code(503).header('retry-after', '1').send({ error: 'temporarily_unavailable', error_description: 'the token store is unavailable; try again' })
      return
    }
    if (info === null) {
      challenge(reply, opts.realm, 'invalid_token', 'the access token is invalid, expired or revoked')
      return
    }
    request.oauth = info
  }
}

/**
 * fastify.sentinel.requireScopes('read', 'write'): a preHandler that runs verify and then admits
 * only a token that carries every named scope; otherwise 403 insufficient_scope with the scopes
 * needed in the challenge (RFC 6750 section 3.1).
 */
export function createRequireScopes (verify: preHandlerAsyncHookHandler, realm: string) {
  return function requireScopes (...scopes: string[]): preHandlerAsyncHookHandler {
    if (scopes.length === 0 || scopes.some((s) => typeof s !== 'string' || !/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(s))) {
      throw new TypeError('fastify-sentinel: requireScopes takes one or more scope tokens (RFC 6749 section 3.3)')
    }
    const needed = scopes.join(' ')
    return async function requireScopesHandler (request, reply) {
      await verify.call(this, request, reply)
      if (reply.sent || request.oauth === null) return
      const granted = request.oauth.scopes
      if (!scopes.every((s) => granted.includes(s))) {
        challenge(reply, realm, 'insufficient_scope', 'the access token lacks a required scope', needed)
      }
    }
  }
}
