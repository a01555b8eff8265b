import { Type, type Static, type TSchema } from '@sinclair/typebox'

/*
 * The management API (JSON) and the page's forms. Field names are snake_case, as in the OAuth
 * responses and the MongoDB collections. No schema has a field for a password hash, a secret hash
 * or a token: the response serializer drops whatever a schema does not name.
 */

const text = (maxLength: number) => Type.String({ maxLength })

/** One page of a list, with where it starts and how many there are in all. */
const Paged = <T extends TSchema>(item: T) => Type.Object({
  items: Type.Array(item),
  total: Type.Integer(),
  offset: Type.Integer(),
  limit: Type.Integer()
})

export const ManagementError = Type.Object({
  error: Type.String(),
  error_description: Type.String()
})
export type ManagementError = Static<typeof ManagementError>

export const PageQuery = Type.Object({
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  search: Type.Optional(text(256))
})
export type PageQuery = Static<typeof PageQuery>

export const User = Type.Object({
  id: Type.String(),
  username: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  /** Live token families. */
  sessions: Type.Integer()
})
export type User = Static<typeof User>

export const UserList = Paged(User)
export type UserList = Static<typeof UserList>

export const NewUser = Type.Object({
  username: text(256),
  password: text(1024)
}, { additionalProperties: false })
export type NewUser = Static<typeof NewUser>

export const NewPassword = Type.Object({
  password: text(1024)
}, { additionalProperties: false })
export type NewPassword = Static<typeof NewPassword>

export const UserParams = Type.Object({ id: text(256) })
export type UserParams = Static<typeof UserParams>

export const Session = Type.Object({
  family_id: Type.String(),
  client_id: Type.String(),
  scope: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  expires_at: Type.String({ format: 'date-time' })
})
export type Session = Static<typeof Session>

export const SessionList = Type.Object({ items: Type.Array(Session) })
export type SessionList = Static<typeof SessionList>

export const ClientType = Type.Union([Type.Literal('public'), Type.Literal('confidential')])
export type ClientType = Static<typeof ClientType>

export const Client = Type.Object({
  client_id: Type.String(),
  name: Type.Optional(Type.String()),
  client_type: ClientType,
  allowed_grant_types: Type.Array(Type.String()),
  scopes: Type.Array(Type.String()),
  created_at: Type.String({ format: 'date-time' })
})
export type Client = Static<typeof Client>

/** The created client; client_secret only for a confidential one, and only in this response. */
export const CreatedClient = Type.Object({
  ...Client.properties,
  client_secret: Type.Optional(Type.String())
})
export type CreatedClient = Static<typeof CreatedClient>

export const ClientList = Paged(Client)
export type ClientList = Static<typeof ClientList>

export const NewClient = Type.Object({
  name: Type.Optional(text(200)),
  client_type: Type.Optional(ClientType),
  allowed_grant_types: Type.Optional(Type.Array(text(64), { maxItems: 8 })),
  scopes: Type.Optional(Type.Union([text(1024), Type.Array(text(256), { maxItems: 100 })])),
  /** Choose the client_id yourself (for migrations); default a random one. */
  client_id: Type.Optional(text(256))
}, { additionalProperties: false })
export type NewClient = Static<typeof NewClient>

export const ClientParams = Type.Object({ clientId: text(256) })
export type ClientParams = Static<typeof ClientParams>

/* The page's forms (application/x-www-form-urlencoded). Every field optional: a missing value
 * reaches Admin, which says what is wrong; a repeated field fails the schema. */

const field = (maxLength: number) => Type.Optional(text(maxLength))

export const CsrfForm = Type.Object({ _csrf: field(128) })
export type CsrfForm = Static<typeof CsrfForm>

export const UserForm = Type.Object({ _csrf: field(128), username: field(256), password: field(1024) })
export type UserForm = Static<typeof UserForm>

export const PasswordForm = Type.Object({ _csrf: field(128), password: field(1024) })
export type PasswordForm = Static<typeof PasswordForm>

export const ClientForm = Type.Object({
  _csrf: field(128),
  name: field(200),
  client_type: field(32),
  scopes: field(1024),
  grant: Type.Optional(Type.Union([text(64), Type.Array(text(64), { maxItems: 8 })]))
})
export type ClientForm = Static<typeof ClientForm>

export const PageParams = Type.Object({ id: text(256) })
export type PageParams = Static<typeof PageParams>

export const ListQuery = Type.Object({
  users_q: field(256),
  users_offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000 })),
  clients_q: field(256),
  clients_offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000 })),
  flash: field(2048)
})
export type ListQuery = Static<typeof ListQuery>
