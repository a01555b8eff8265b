import { Type, type Static } from '@sinclair/typebox'

/** RFC 8414 section 2: the fields this provider has something to say about. */
export const ServerMetadata = Type.Object({
  issuer: Type.String(),
  token_endpoint: Type.Optional(Type.String()),
  revocation_endpoint: Type.Optional(Type.String()),
  introspection_endpoint: Type.Optional(Type.String()),
  grant_types_supported: Type.Array(Type.String()),
  response_types_supported: Type.Array(Type.String()),
  token_endpoint_auth_methods_supported: Type.Array(Type.String()),
  revocation_endpoint_auth_methods_supported: Type.Optional(Type.Array(Type.String())),
  introspection_endpoint_auth_methods_supported: Type.Optional(Type.Array(Type.String())),
  scopes_supported: Type.Optional(Type.Array(Type.String()))
})
export type ServerMetadata = Static<typeof ServerMetadata>
