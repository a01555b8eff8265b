import { randomUUID } from 'node:crypto'
import { DuplicateKeyError } from '../errors.js'
import type { ClientRecord, NewClient, NewUser, Page, Store, TokenRecord, UserRecord } from './types.js'

/**
 * The embedded default: everything in this process, gone at exit. For trying the project out
 * and for unit tests; a deployment uses MongoStore.
 */
export class MemoryStore implements Store {
  private readonly users = new Map<string, UserRecord>()
  private readonly usernames = new Map<string, string>()
  private readonly clients = new Map<string, ClientRecord>()
  private readonly tokens = new Map<string, TokenRecord>()
  private readonly revokedFamilies = new Map<string, Date>()

  async init (): Promise<void> {}

  async findUserByUsername (username: string): Promise<UserRecord | null> {
    const id = this.usernames.get(username)
    return id === undefined ? null : this.findUserById(id)
  }

  async findUserById (id: string): Promise<UserRecord | null> {
    const user = this.users.get(id)
    return user === undefined ? null : { ...user }
  }

  async createUser (user: NewUser): Promise<UserRecord> {
    if (this.usernames.has(user.username)) throw new DuplicateKeyError('username')
    const record: UserRecord = { id: randomUUID(), username: user.username, hashpw: user.hashpw, createdAt: new Date() }
    this.users.set(record.id, record)
    this.usernames.set(record.username, record.id)
    return { ...record }
  }

  async setUserPassword (id: string, hashpw: string): Promise<boolean> {
    const user = this.users.get(id)
    if (user === undefined) return false
    user.hashpw = hashpw
    return true
  }

  async deleteUser (id: string): Promise<boolean> {
    const user = this.users.get(id)
    if (user === undefined) return false
    this.users.delete(id)
    this.usernames.delete(user.username)
    return true
  }

  async listUsers (page: Page, search?: string): Promise<{ items: UserRecord[], total: number }> {
    // A prefix search, as MongoStore's anchored regex.
    const all = [...this.users.values()].filter((u) => search === undefined || u.username.startsWith(search))
    all.sort((a, b) => a.username < b.username ? -1 : 1)
    return { items: all.slice(page.offset, page.offset + page.limit).map((u) => ({ ...u })), total: all.length }
  }

  async findClient (clientId: string): Promise<ClientRecord | null> {
    const client = this.clients.get(clientId)
    return client === undefined ? null : structuredClone(client)
  }

  async createClient (client: NewClient): Promise<ClientRecord> {
    if (this.clients.has(client.clientId)) throw new DuplicateKeyError('client_id')
    const record: ClientRecord = { id: randomUUID(), ...structuredClone(client), createdAt: new Date() }
    this.clients.set(record.clientId, record)
    return structuredClone(record)
  }

  async deleteClient (clientId: string): Promise<boolean> {
    return this.clients.delete(clientId)
  }

  async listClients (page: Page, search?: string): Promise<{ items: ClientRecord[], total: number }> {
    const all = [...this.clients.values()].filter((c) => search === undefined || c.clientId.startsWith(search) || (c.name ?? '').startsWith(search))
    all.sort((a, b) => a.clientId < b.clientId ? -1 : 1)
    return { items: all.slice(page.offset, page.offset + page.limit).map((c) => structuredClone(c)), total: all.length }
  }

  async insertTokens (tokens: TokenRecord[]): Promise<void> {
    for (const token of tokens) {
      if (this.tokens.has(token.hash)) throw new DuplicateKeyError('token')
    }
    for (const token of tokens) this.tokens.set(token.hash, { ...token })
  }

  async findToken (hash: string): Promise<TokenRecord | null> {
    const token = this.tokens.get(hash)
    return token === undefined ? null : { ...token }
  }

  async consumeRefreshToken (hash: string, now: Date, _expiresAt: Date): Promise<TokenRecord | null> {
    // Check and set with no await between them: atomic on the event loop.
    const token = this.tokens.get(hash)
    if (token === undefined || token.kind !== 'refresh' || token.consumedAt !== null) return null
    token.consumedAt = now
    return { ...token }
  }

  async deleteTokens (hashes: string[]): Promise<number> {
    let n = 0
    for (const hash of hashes) if (this.tokens.delete(hash)) n++
    return n
  }

  async findTokensBy (field: 'familyId' | 'userId' | 'clientId', value: string): Promise<TokenRecord[]> {
    return [...this.tokens.values()].filter((t) => t[field] === value).map((t) => ({ ...t }))
  }

  async countLiveSessions (userId: string, now: Date): Promise<number> {
    const families = new Set<string>()
    for (const t of this.tokens.values()) {
      if (t.userId === userId && t.expiresAt > now && t.consumedAt === null) families.add(t.familyId)
    }
    return families.size
  }

  async markFamilyRevoked (familyId: string, until: Date): Promise<void> {
    this.revokedFamilies.set(familyId, until)
  }

  async isFamilyRevoked (familyId: string): Promise<boolean> {
    return this.revokedFamilies.has(familyId)
  }

  async sweepExpired (now: Date): Promise<number> {
    let n = 0
    for (const [hash, token] of this.tokens) {
      if (token.expiresAt <= now) { this.tokens.delete(hash); n++ }
    }
    for (const [family, until] of this.revokedFamilies) {
      if (until <= now) { this.revokedFamilies.delete(family); n++ }
    }
    return n
  }
}
