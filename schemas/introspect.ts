import { Type, type Static } from '@sinclair/typebox'

/**
 * RFC 7662 section 2.2. An inactive token is {"active":false} and nothing else: the optional
 * fields are left out, so nothing about an unknown, expired or revoked token leaks.
 */
export const IntrospectionResponse = Type.Object({
  active: Type.Boolean(),
  scope: Type.Optional(Type.String()),
  client_id: Type.Optional(Type.String()),
  username: Type.Optional(Type.String()),
  sub: Type.Optional(Type.String()),
  token_type: Type.Optional(Type.String()),
  exp: Type.Optional(Type.Integer()),
  iat: Type.Optional(Type.Integer())
})
export type IntrospectionResponse = Static<typeof IntrospectionResponse>
