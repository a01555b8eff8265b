import type { FastifyRequest } from 'fastify'
import { authenticateClient, parseBasic } from '../clients.js'
import { OAuthError } from '../errors.js'
import type { Grants } from '../grant.js'
import type { ClientRecord } from '../store/types.js'
import type { Throttle, ThrottleKey } from '../throttle.js'

export interface ClientAuthContext {
  grants: Grants
  realm: string
  throttle: Throttle | null
}

interface ClientParams { client_id?: string, client_secret?: string }

/**
 * authenticateClient behind the throttle: failed client authentications count against the
 * client_id and the client address (RFC 6749 section 2.3.1: protect against brute force).
 */
export async function authenticate (request: FastifyRequest, body: ClientParams, ctx: ClientAuthContext): Promise<ClientRecord> {
  const keys: ThrottleKey[] = [{ kind: 'address', value: request.ip }]
  const header = request.headers.authorization
  const claimed = body.client_id ?? (header === undefined ? undefined : parseBasic(header)?.id)
  if (claimed !== undefined) keys.push({ kind: 'client', value: claimed })
  await ctx.throttle?.check(keys)
  try {
    const client = await authenticateClient(ctx.grants.store, {
      authorization: request.headers.authorization,
      clientId: body.client_id,
      clientSecret: body.client_secret
    }, ctx.realm)
    if (claimed !== undefined) await ctx.throttle?.reset({ kind: 'client', value: claimed })
    return client
  } catch (err) {
    if (err instanceof OAuthError && err.error === 'invalid_client') await ctx.throttle?.fail(keys)
    throw err
  }
}
