/**
 * The error contract. Protocol errors carry the RFC error code that the client sees
 * (RFC 6749 section 5.2, RFC 6750 section 3.1) and a stable FST_SENTINEL_* code for the host's
 * logs and tests. Anything that is not an OAuthError is a server fault: the client sees only a
 * generic answer, never its message or stack.
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'temporarily_unavailable'
  | 'server_error'
  | 'unsupported_token_type'
  | 'slow_down'

const statusOf: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  invalid_token: 401,
  insufficient_scope: 403,
  temporarily_unavailable: 503,
  server_error: 500,
  // RFC 7009 section 2.2.1.
  unsupported_token_type: 400,
  // Registered for the token endpoint (RFC 8628 section 3.5, IANA OAuth Extensions Error
  // registry): "back off, then retry", which is what a throttled client must do.
  slow_down: 429
}

export class OAuthError extends Error {
  readonly error: OAuthErrorCode
  readonly statusCode: number
  readonly code: string
  /** Extra response headers, such as WWW-Authenticate. */
  readonly headers: Record<string, string>

  constructor (error: OAuthErrorCode, description: string, options: { statusCode?: number, headers?: Record<string, string> } = {}) {
    super(description)
    this.name = 'OAuthError'
    this.error = error
    this.statusCode = options.statusCode ?? statusOf[error]
    this.code = 'FST_SENTINEL_' + error.toUpperCase()
    this.headers = options.headers ?? {}
  }
}

/** Thrown by a store when a unique key (username, client_id) is already taken. */
export class DuplicateKeyError extends Error {
  readonly code = 'FST_SENTINEL_DUPLICATE'
  readonly statusCode = 409
  constructor (what: string) {
    super(`${what} already exists`)
    this.name = 'DuplicateKeyError'
  }
}

/** Invalid plugin options: app.ready() rejects with this, its message naming the option. */
export class OptionsError extends Error {
  readonly code = 'FST_SENTINEL_OPTIONS'
  constructor (message: string) {
    super(message)
    this.name = 'OptionsError'
  }
}
