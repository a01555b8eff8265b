import { Type, type Static } from '@sinclair/typebox'

// Every parameter is a single non-empty string (RFC 6749 section 3.2: parameters sent without a
// value are treated as omitted, and none may repeat). Bounds keep hostile input cheap to refuse.
const param = (maxLength: number) => Type.String({ minLength: 1, maxLength })

/**
 * The token request (RFC 6749 sections 4.3.2, 6, 4.4.2). Which parameters a grant needs is
 * checked by the handler after grant_type, so that an unknown grant answers
 * unsupported_grant_type rather than a schema error. Unknown parameters are ignored, as the RFC asks.
 */
export const TokenRequest = Type.Object({
  grant_type: param(64),
  client_id: Type.Optional(param(256)),
  client_secret: Type.Optional(param(512)),
  username: Type.Optional(param(256)),
  password: Type.Optional(param(1024)),
  refresh_token: Type.Optional(param(512)),
  scope: Type.Optional(param(1024))
})
export type TokenRequest = Static<typeof TokenRequest>

/** RFC 6749 section 5.1. */
export const TokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer(),
  refresh_token: Type.Optional(Type.String()),
  scope: Type.String()
})
export type TokenResponse = Static<typeof TokenResponse>

/** RFC 6749 section 5.2. */
export const OAuthErrorResponse = Type.Object({
  error: Type.String(),
  error_description: Type.Optional(Type.String()),
  error_uri: Type.Optional(Type.String())
})
export type OAuthErrorResponse = Static<typeof OAuthErrorResponse>
