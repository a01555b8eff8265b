import { generateClientId, generateClientSecret, hashClientSecret } from './clients.js'
import { OAuthError } from './errors.js'
import type { Grants } from './grant.js'
import type { Passwords } from './passwords.js'
import { parseScope } from './scope.js'
import type { ClientRecord, ClientType, Store, UserRecord } from './store/types.js'

export const GRANT_TYPES = ['password', 'refresh_token', 'client_credentials'] as const
/** What a new client gets when allowedGrantTypes is not given (public clients cannot have client_credentials). */
export const DEFAULT_GRANT_TYPES = ['password', 'refresh_token'] as const

export interface CreateClientInput {
  name?: string
  clientType?: ClientType
  /** Default: password and refresh_token. client_credentials only for confidential clients. */
  allowedGrantTypes?: string[]
  /** Space-delimited or a list. Default: none (tokens carry an empty scope, as in flask-sentinel). */
  scopes?: string[] | string
  /** Choose the client_id yourself (for migrations); default a random one. */
  clientId?: string
}

/** A live session: one token family, as the management page and API show it (never a token). */
export interface SessionInfo {
  familyId: string
  clientId: string
  scope: string
  createdAt: Date
  expiresAt: Date
}

export interface CreatedClient {
  client: ClientRecord
  /** Confidential clients only: the secret, which is never shown again. */
  clientSecret?: string
}

// Printable, no surrounding spaces, no control characters: a username a person can type.
const USERNAME = /^[^\s\p{Cc}](?:[^\p{Cc}]{0,254}[^\s\p{Cc}])?$/u

function invalid (description: string): OAuthError {
  return new OAuthError('invalid_request', description)
}

/**
 * The administration helpers behind fastify.sentinel (and the management page and API): they
 * validate, hash and revoke, so that every caller gets the same rules.
 */
export class Admin {
  constructor (
    private readonly store: Store,
    private readonly grants: Grants,
    private readonly passwords: Passwords
  ) {}

  async createUser (username: string, password: string): Promise<UserRecord> {
    if (typeof username !== 'string' || !USERNAME.test(username)) throw invalid('username must be 1 to 256 printable characters, without leading or trailing spaces')
    checkPassword(password)
    return this.store.createUser({ username, hashpw: await this.passwords.hash(password) })
  }

  /** Sets a new password and revokes the user's sessions: a password change logs out everywhere. */
  async setPassword (userId: string, password: string): Promise<boolean> {
    checkPassword(password)
    const ok = await this.store.setUserPassword(userId, await this.passwords.hash(password))
    if (ok) await this.grants.revokeAllOf('userId', userId)
    return ok
  }

  async deleteUser (userId: string): Promise<boolean> {
    const ok = await this.store.deleteUser(userId)
    if (ok) await this.grants.revokeAllOf('userId', userId)
    return ok
  }

  /** Revokes every session (token family) of a user; returns how many. */
  revokeUserSessions (userId: string): Promise<number> {
    return this.grants.revokeAllOf('userId', userId)
  }

  /**
   * The user's live sessions: one per token family that still has an unexpired, unconsumed
   * token (the same rule as Store.countLiveSessions), newest first.
   */
  async listSessions (userId: string, now = new Date()): Promise<SessionInfo[]> {
    const families = new Map<string, SessionInfo & { live: boolean }>()
    for (const t of await this.store.findTokensBy('userId', userId)) {
      const live = t.expiresAt > now && t.consumedAt === null
      let s = families.get(t.familyId)
      if (s === undefined) {
        s = { familyId: t.familyId, clientId: t.clientId, scope: t.scope, createdAt: t.createdAt, expiresAt: t.expiresAt, live: false }
        families.set(t.familyId, s)
      }
      if (t.createdAt < s.createdAt) s.createdAt = t.createdAt
      if (live) {
        // The session lasts as long as its longest-lived token; a refresh token carries the
        // family's full scope, an access token possibly a narrowed one.
        if (!s.live || t.expiresAt > s.expiresAt) s.expiresAt = t.expiresAt
        if (t.kind === 'refresh') s.scope = t.scope
        s.live = true
      }
    }
    return [...families.values()]
      .filter((s) => s.live)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
      .map(({ live: _live, ...s }) => s)
  }

  async createClient (input: CreateClientInput = {}): Promise<CreatedClient> {
    const clientType = input.clientType ?? 'public'
    if (clientType !== 'public' && clientType !== 'confidential') throw invalid('clientType must be public or confidential')
    const allowedGrantTypes = input.allowedGrantTypes ?? [...DEFAULT_GRANT_TYPES]
    const unknown = allowedGrantTypes.filter((g) => !(GRANT_TYPES as readonly string[]).includes(g))
    if (unknown.length > 0) throw invalid(`unknown grant type: ${unknown.join(', ')}`)
    // RFC 6749 section 4.4: a public client cannot authenticate, so it cannot act for itself.
    if (clientType === 'public' && allowedGrantTypes.includes('client_credentials')) throw invalid('client_credentials is for confidential clients only')
    const list = typeof input.scopes === 'string' ? input.scopes.split(' ').filter((s) => s !== '') : input.scopes ?? []
    const scopes = list.length === 0 ? [] : parseScope(list.join(' '))
    const clientId = input.clientId ?? generateClientId()
    if (!/^[\x21-\x7E]{1,256}$/.test(clientId)) throw invalid('clientId must be 1 to 256 visible ASCII characters')
    const name = input.name?.trim()
    if (name !== undefined && name.length > 200) throw invalid('name must be at most 200 characters')
    const clientSecret = clientType === 'confidential' ? generateClientSecret() : undefined
    const client = await this.store.createClient({
      clientId,
      clientType,
      allowedGrantTypes: [...new Set(allowedGrantTypes)],
      scopes,
      ...(name !== undefined && name !== '' && { name }),
      ...(clientSecret !== undefined && { secretHash: hashClientSecret(clientSecret) })
    })
    return clientSecret === undefined ? { client } : { client, clientSecret }
  }

  async deleteClient (clientId: string): Promise<boolean> {
    const ok = await this.store.deleteClient(clientId)
    if (ok) await this.grants.revokeAllOf('clientId', clientId)
    return ok
  }
}

function checkPassword (password: string): void {
  if (typeof password !== 'string' || password.length === 0) throw invalid('password must not be empty')
  // bcrypt reads only the first 72 bytes; a longer password would be silently truncated.
  if (Buffer.byteLength(password) > 72) throw invalid('password must be at most 72 bytes (a bcrypt limit)')
}
