import type { FastifyRequest } from 'fastify'

// Query parameters that carry credentials or tokens (RFC 6749, 6750, 7009, 7662).
const SECRET_PARAMS = /^(access_token|refresh_token|token|client_secret|password|code|assertion|client_assertion)$/i

/** The URL with the value of every credential query parameter replaced by [REDACTED]. */
export function redactUrl (url: string): string {
  const q = url.indexOf('?')
  if (q === -1) return url
  const query = url.slice(q + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=')
    const raw = eq === -1 ? pair : pair.slice(0, eq)
    let name = raw
    try {
      name = decodeURIComponent(raw.replace(/\+/g, ' '))
    } catch {}
    return SECRET_PARAMS.test(name) ? `${raw}=[REDACTED]` : pair
  })
  return url.slice(0, q + 1) + query.join('&')
}

/**
 * A `req` log serializer: Fastify's default fields, with the query string's credentials
 * redacted. The provider's own routes use it; a host passes it to its logger so that its routes
 * (verify with allowQueryToken) never log a token either:
 * `Fastify({ logger: { serializers: { req: redactRequest } } })`.
 * Headers and bodies are left out altogether, as Fastify's default does.
 */
export function redactRequest (request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: redactUrl(request.url),
    version: request.headers?.['accept-version'],
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort
  }
}
