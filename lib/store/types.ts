/**
 * The storage port. MongoStore and MemoryStore implement it; test/store.contract.ts runs one
 * suite against both. Stores hold no HTTP logic and know nothing of how a token is made.
 */
export type ClientType = 'public' | 'confidential'
export type TokenKind = 'access' | 'refresh'

export interface UserRecord {
  id: string
  username: string
  /** bcrypt hash, in flask-sentinel's field name. */
  hashpw: string
  createdAt: Date
}

export interface ClientRecord {
  id: string
  clientId: string
  clientType: ClientType
  /** Only for confidential clients: a hash of the secret, never the secret. */
  secretHash?: string
  name?: string
  allowedGrantTypes: string[]
  scopes: string[]
  createdAt: Date
}

export interface TokenRecord {
  /** sha256 hex of the token. */
  hash: string
  kind: TokenKind
  familyId: string
  clientId: string
  userId: string
  scope: string
  expiresAt: Date
  /** Refresh tokens only: when it was exchanged. */
  consumedAt: Date | null
  createdAt: Date
}

export type NewUser = Pick<UserRecord, 'username' | 'hashpw'>

export type NewClient = Omit<ClientRecord, 'id' | 'createdAt'>

export interface Page {
  offset: number
  limit: number
}

export interface Store {
  /** Creates indexes; idempotent. */
  init (): Promise<void>

  findUserByUsername (username: string): Promise<UserRecord | null>
  findUserById (id: string): Promise<UserRecord | null>
  /** Throws DuplicateKeyError when the username is taken. */
  createUser (user: NewUser): Promise<UserRecord>
  setUserPassword (id: string, hashpw: string): Promise<boolean>
  deleteUser (id: string): Promise<boolean>
  /** Sorted by username; `search` is a username prefix. */
  listUsers (page: Page, search?: string): Promise<{ items: UserRecord[], total: number }>

  findClient (clientId: string): Promise<ClientRecord | null>
  /** Throws DuplicateKeyError when the client_id is taken. */
  createClient (client: NewClient): Promise<ClientRecord>
  deleteClient (clientId: string): Promise<boolean>
  /** Sorted by client_id; `search` is a client_id prefix. */
  listClients (page: Page, search?: string): Promise<{ items: ClientRecord[], total: number }>

  insertTokens (tokens: TokenRecord[]): Promise<void>
  findToken (hash: string): Promise<TokenRecord | null>
  /**
   * Atomically marks an unconsumed refresh token consumed. Returns the record when this call
   * consumed it, null when it was already consumed or does not exist: of N concurrent calls with
   * one hash, exactly one gets the record. `expiresAt` is the token's own expiry, for whatever
   * the store keeps to arbitrate.
   */
  consumeRefreshToken (hash: string, now: Date, expiresAt: Date): Promise<TokenRecord | null>
  /** Deletes the given tokens by hash; returns how many existed. */
  deleteTokens (hashes: string[]): Promise<number>
  /** All token records (access and refresh, consumed or not) of a family, a user or a client. */
  findTokensBy (field: 'familyId' | 'userId' | 'clientId', value: string): Promise<TokenRecord[]>
  countLiveSessions (userId: string, now: Date): Promise<number>

  /** Marks a family revoked until `until`; issuance checks it so no new token outlives a revocation. */
  markFamilyRevoked (familyId: string, until: Date): Promise<void>
  isFamilyRevoked (familyId: string): Promise<boolean>

  /** Removes expired tokens and family marks; returns how many went. */
  sweepExpired (now: Date): Promise<number>
  close? (): Promise<void>
}
