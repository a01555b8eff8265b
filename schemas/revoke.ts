import { Type, type Static } from '@sinclair/typebox'

const param = (maxLength: number) => Type.String({ minLength: 1, maxLength })

/** RFC 7009 section 2.1 (and RFC 7662 section 2.1, which takes the same parameters). */
export const TokenActionRequest = Type.Object({
  token: param(512),
  token_type_hint: Type.Optional(param(64)),
  client_id: Type.Optional(param(256)),
  client_secret: Type.Optional(param(512))
})
export type TokenActionRequest = Static<typeof TokenActionRequest>
