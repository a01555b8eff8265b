import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ServerMetadata } from '../../schemas/metadata.js'
import type { ResolvedOptions } from '../options.js'

const CLIENT_AUTH = ['client_secret_basic', 'client_secret_post', 'none']

/**
 * GET /.well-known/oauth-authorization-server (RFC 8414 section 3), at the root, not under the
 * prefix. Without the issuer option, the issuer is the scheme and host of the request itself.
 */
export async function metadataRoute (app: FastifyInstance, opts: { options: ResolvedOptions }): Promise<void> {
  const o = opts.options
  const endpoint = (base: string, url: string | false): string | undefined => url === false ? undefined : base + o.routePrefix + url
  // Section 3.1: an issuer with a path puts the well-known segment between host and path.
  const issuerPath = o.issuer === null ? '' : new URL(o.issuer).pathname.replace(/\/+$/, '')
  app.get('/.well-known/oauth-authorization-server' + issuerPath, {
    schema: { response: { 200: ServerMetadata } }
  }, async (request: FastifyRequest, reply) => {
    const issuer = o.issuer ?? `${request.protocol}://${request.host}`
    // A document derived from the Host header must not be stored by a shared cache for others.
    reply.header('cache-control', o.issuer === null ? 'no-store' : 'public, max-age=3600')
    return {
      issuer,
      token_endpoint: endpoint(issuer, o.tokenUrl),
      revocation_endpoint: endpoint(issuer, o.revokeUrl),
      introspection_endpoint: endpoint(issuer, o.introspectUrl),
      grant_types_supported: o.grants,
      // No authorization endpoint: no response types (RFC 8414 section 2 requires the field).
      response_types_supported: [],
      token_endpoint_auth_methods_supported: CLIENT_AUTH,
      ...(o.revokeUrl !== false && { revocation_endpoint_auth_methods_supported: CLIENT_AUTH }),
      ...(o.introspectUrl !== false && { introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'] }),
      ...(o.scopesSupported.length > 0 && { scopes_supported: o.scopesSupported })
    }
  })
}
