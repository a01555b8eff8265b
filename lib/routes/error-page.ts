import type { FastifyInstance } from 'fastify'

// RFC 6749 section 5.2, RFC 6750 section 3.1, RFC 7009 section 2.2.1, RFC 8628 section 3.5.
export const ERROR_CODES: ReadonlyArray<[string, number, string]> = [
  ['invalid_request', 400, 'The request is missing a parameter, repeats one, has an invalid value, sends credentials in the URI, or arrived without TLS. The description names the problem.'],
  ['invalid_client', 401, 'The client could not be authenticated: unknown client_id, wrong or missing client_secret, two authentication methods at once, or a public client where a confidential one is required.'],
  ['invalid_grant', 400, 'The username and password, or the refresh token, are invalid, expired, revoked or were issued to another client. A refresh token used twice revokes its whole session.'],
  ['unauthorized_client', 400, 'This client is not allowed to use this grant type (client_credentials is for confidential clients only).'],
  ['unsupported_grant_type', 400, 'This server does not support, or has disabled, the requested grant type.'],
  ['invalid_scope', 400, 'The requested scope is malformed, or outside the scopes this client (or this refresh token) may have.'],
  ['unsupported_token_type', 400, 'The token_type_hint is neither access_token nor refresh_token.'],
  ['invalid_token', 401, 'The access token is malformed, expired or revoked: get a new one (or refresh).'],
  ['insufficient_scope', 403, 'The access token is valid but lacks a scope this resource requires; the challenge names the scopes needed.'],
  ['slow_down', 429, 'Too many failed attempts for this username, client or address: wait for the number of seconds in Retry-After.'],
  ['temporarily_unavailable', 503, 'A backend (the token store or cache) is unavailable: try again shortly.'],
  ['server_error', 500, 'An unexpected error on the server. Nothing about it is shown here; the operator has it in the logs.']
]

function escape (value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>OAuth 2.0 errors</title>
</head>
<body>
<h1>OAuth 2.0 errors</h1>
<p>Every error of this provider answers a JSON body <code>{"error": "...", "error_description": "..."}</code>.
The error codes, their HTTP status and what to do:</p>
<dl>
${ERROR_CODES.map(([code, status, text]) => `<dt id="${code}"><code>${code}</code> (HTTP ${status})</dt>\n<dd>${escape(text)}</dd>`).join('\n')}
</dl>
</body>
</html>
`

/**
 * GET {prefix}{errorPageUrl}: the human-readable page an error_uri points to (RFC 6749 section
 * 5.2). Static HTML, no script: a strict Content-Security-Policy forbids any.
 */
export async function errorPage (app: FastifyInstance, opts: { url: string }): Promise<void> {
  app.get(opts.url, async (_request, reply) => {
    reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', "default-src 'none'; frame-ancestors 'none'")
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'public, max-age=3600')
    return PAGE
  })
}
