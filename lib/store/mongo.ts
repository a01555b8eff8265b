import { MongoServerError, ObjectId, type Collection, type Db, type Document, type Filter } from 'mongodb'
import { DuplicateKeyError } from '../errors.js'
import type { ClientRecord, NewClient, NewUser, Page, Store, TokenKind, TokenRecord, UserRecord } from './types.js'

/*
 * Collections and fields as flask-sentinel named them (users.username/hashpw,
 * clients.client_id/client_type/allowed_grant_types), so an existing flask-sentinel database
 * keeps working. Tokens are one document each, _id = sha256 hex of the token.
 */
interface UserDoc { _id: ObjectId | string, username: string, hashpw: string, created_at?: Date }
interface ClientDoc {
  _id: ObjectId | string
  client_id: string
  client_type?: string
  secret_hash?: string
  name?: string
  allowed_grant_types?: string[]
  scopes?: string[]
  created_at?: Date
}
interface TokenDoc {
  _id: string
  kind: TokenKind | 'revoked_family' | 'consumed_marker'
  family_id?: string
  client_id?: string
  user_id?: string
  scope?: string
  expires_at: Date
  consumed_at?: Date | null
  created_at: Date
}

// Clients written by flask-sentinel carry no allowed_grant_types list: they could use both grants.
const LEGACY_GRANTS = ['password', 'refresh_token']
const DUPLICATE_KEY = 11000
const REVOKED_PREFIX = 'revoked-family:'
const CONSUMED_PREFIX = 'consumed:'

function idFilter (id: string): { _id: ObjectId | string } {
  return { _id: ObjectId.isValid(id) && id.length === 24 ? new ObjectId(id) : id }
}

function escapeRegex (text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

function toUser (doc: UserDoc): UserRecord {
  return { id: String(doc._id), username: doc.username, hashpw: doc.hashpw, createdAt: doc.created_at ?? epoch(doc._id) }
}

function toClient (doc: ClientDoc): ClientRecord {
  const record: ClientRecord = {
    id: String(doc._id),
    clientId: doc.client_id,
    clientType: doc.client_type === 'confidential' ? 'confidential' : 'public',
    allowedGrantTypes: Array.isArray(doc.allowed_grant_types) ? doc.allowed_grant_types : LEGACY_GRANTS,
    scopes: Array.isArray(doc.scopes) ? doc.scopes : [],
    createdAt: doc.created_at ?? epoch(doc._id)
  }
  if (typeof doc.secret_hash === 'string') record.secretHash = doc.secret_hash
  if (typeof doc.name === 'string') record.name = doc.name
  return record
}

// Documents created by flask-sentinel have no created_at; an ObjectId carries its creation time.
function epoch (id: ObjectId | string): Date {
  return id instanceof ObjectId ? id.getTimestamp() : new Date(0)
}

function toToken (doc: TokenDoc): TokenRecord {
  return {
    hash: doc._id,
    kind: doc.kind as TokenKind,
    familyId: doc.family_id as string,
    clientId: doc.client_id as string,
    userId: doc.user_id as string,
    scope: doc.scope ?? '',
    expiresAt: doc.expires_at,
    consumedAt: doc.consumed_at ?? null,
    createdAt: doc.created_at
  }
}

function fromToken (t: TokenRecord): TokenDoc {
  return {
    _id: t.hash,
    kind: t.kind,
    family_id: t.familyId,
    client_id: t.clientId,
    user_id: t.userId,
    scope: t.scope,
    expires_at: t.expiresAt,
    consumed_at: t.consumedAt,
    created_at: t.createdAt
  }
}

/** Runs a write whose one expected failure is a duplicate key; `onDuplicate` says what that means. */
async function unlessDuplicate<T> (write: () => Promise<T>, onDuplicate: () => T): Promise<T> {
  try {
    return await write()
  } catch (err) {
    if (err instanceof MongoServerError && err.code === DUPLICATE_KEY) return onDuplicate()
    throw err
  }
}

function duplicate (what: string): () => never {
  return () => { throw new DuplicateKeyError(what) }
}

const tokenField = { familyId: 'family_id', userId: 'user_id', clientId: 'client_id' } as const

export class MongoStore implements Store {
  private readonly users: Collection<UserDoc>
  private readonly clients: Collection<ClientDoc>
  private readonly tokens: Collection<TokenDoc>

  constructor (db: Db) {
    this.users = db.collection<UserDoc>('users')
    this.clients = db.collection<ClientDoc>('clients')
    this.tokens = db.collection<TokenDoc>('tokens')
  }

  async init (): Promise<void> {
    await this.users.createIndex({ username: 1 }, { unique: true })
    await this.clients.createIndex({ client_id: 1 }, { unique: true })
    await this.tokens.createIndex({ family_id: 1 })
    await this.tokens.createIndex({ user_id: 1 })
    await this.tokens.createIndex({ client_id: 1 })
    try {
      // A cleanup aid where the server has it; expiry is always checked in code and swept.
      await this.tokens.createIndex({ expires_at: 1 }, { expireAfterSeconds: 0 })
    } catch {
      // FerretDB 1.x: "Index option expireAfterSeconds is not implemented yet".
      await this.tokens.createIndex({ expires_at: 1 })
    }
  }

  async findUserByUsername (username: string): Promise<UserRecord | null> {
    const doc = await this.users.findOne({ username })
    return doc === null ? null : toUser(doc)
  }

  async findUserById (id: string): Promise<UserRecord | null> {
    const doc = await this.users.findOne(idFilter(id))
    return doc === null ? null : toUser(doc)
  }

  async createUser (user: NewUser): Promise<UserRecord> {
    const doc: UserDoc = { _id: new ObjectId(), username: user.username, hashpw: user.hashpw, created_at: new Date() }
    await unlessDuplicate(() => this.users.insertOne(doc), duplicate('username'))
    return toUser(doc)
  }

  async setUserPassword (id: string, hashpw: string): Promise<boolean> {
    const res = await this.users.updateOne(idFilter(id), { $set: { hashpw } })
    return res.matchedCount === 1
  }

  async deleteUser (id: string): Promise<boolean> {
    const res = await this.users.deleteOne(idFilter(id))
    return res.deletedCount === 1
  }

  async listUsers (page: Page, search?: string): Promise<{ items: UserRecord[], total: number }> {
    const filter: Filter<UserDoc> = search === undefined ? {} : { username: { $regex: '^' + escapeRegex(search) } }
    const [docs, total] = await Promise.all([
      this.users.find(filter).sort({ username: 1 }).skip(page.offset).limit(page.limit).toArray(),
      this.users.countDocuments(filter)
    ])
    return { items: docs.map(toUser), total }
  }

  async findClient (clientId: string): Promise<ClientRecord | null> {
    const doc = await this.clients.findOne({ client_id: clientId })
    return doc === null ? null : toClient(doc)
  }

  async createClient (client: NewClient): Promise<ClientRecord> {
    const doc: ClientDoc = {
      _id: new ObjectId(),
      client_id: client.clientId,
      client_type: client.clientType,
      allowed_grant_types: client.allowedGrantTypes,
      scopes: client.scopes,
      created_at: new Date()
    }
    if (client.secretHash !== undefined) doc.secret_hash = client.secretHash
    if (client.name !== undefined) doc.name = client.name
    await unlessDuplicate(() => this.clients.insertOne(doc), duplicate('client_id'))
    return toClient(doc)
  }

  async deleteClient (clientId: string): Promise<boolean> {
    const res = await this.clients.deleteOne({ client_id: clientId })
    return res.deletedCount === 1
  }

  async listClients (page: Page, search?: string): Promise<{ items: ClientRecord[], total: number }> {
    const prefix = { $regex: '^' + escapeRegex(search ?? '') }
    const filter: Filter<ClientDoc> = search === undefined ? {} : { $or: [{ client_id: prefix }, { name: prefix }] }
    const [docs, total] = await Promise.all([
      this.clients.find(filter).sort({ client_id: 1 }).skip(page.offset).limit(page.limit).toArray(),
      this.clients.countDocuments(filter)
    ])
    return { items: docs.map(toClient), total }
  }

  async insertTokens (tokens: TokenRecord[]): Promise<void> {
    await unlessDuplicate(() => this.tokens.insertMany(tokens.map(fromToken), { ordered: true }), duplicate('token'))
  }

  async findToken (hash: string): Promise<TokenRecord | null> {
    const doc = await this.tokens.findOne({ _id: hash, kind: { $in: ['access', 'refresh'] } })
    return doc === null ? null : toToken(doc)
  }

  async consumeRefreshToken (hash: string, now: Date, expiresAt: Date): Promise<TokenRecord | null> {
    // The arbiter is a unique-key insert, not findOneAndUpdate: FerretDB 1.24 (SQLite backend)
    // runs findAndModify and update as a read and a separate write, so of 16 concurrent calls
    // several "win" (measured: 28 of 30 trials). An insert of one _id succeeds once on every
    // server with a unique _id index.
    const won = await unlessDuplicate(async () => {
      await this.tokens.insertOne({ _id: CONSUMED_PREFIX + hash, kind: 'consumed_marker', expires_at: expiresAt, created_at: now })
      return true
    }, () => false)
    if (!won) return null
    // Recorded on the token itself for reuse detection; the filter also refuses a token whose
    // marker was already swept.
    const doc = await this.tokens.findOneAndUpdate(
      { _id: hash, kind: 'refresh', consumed_at: null },
      { $set: { consumed_at: now } },
      { returnDocument: 'after' }
    )
    return doc === null ? null : toToken(doc)
  }

  async deleteTokens (hashes: string[]): Promise<number> {
    if (hashes.length === 0) return 0
    const res = await this.tokens.deleteMany({ _id: { $in: hashes } })
    return res.deletedCount
  }

  async findTokensBy (field: 'familyId' | 'userId' | 'clientId', value: string): Promise<TokenRecord[]> {
    const filter: Document = { [tokenField[field]]: value, kind: { $in: ['access', 'refresh'] } }
    const docs = await this.tokens.find(filter).toArray()
    return docs.map(toToken)
  }

  async countLiveSessions (userId: string, now: Date): Promise<number> {
    const families = await this.tokens.distinct('family_id', { user_id: userId, expires_at: { $gt: now }, consumed_at: null })
    return families.length
  }

  async markFamilyRevoked (familyId: string, until: Date): Promise<void> {
    const now = new Date()
    // Concurrent revokers of one family race on the upsert (not atomic on FerretDB): the loser
    // finds the mark made, which is all it wanted.
    await unlessDuplicate(() => this.tokens.updateOne(
      { _id: REVOKED_PREFIX + familyId },
      { $set: { kind: 'revoked_family', expires_at: until, created_at: now } },
      { upsert: true }
    ), () => undefined)
  }

  async isFamilyRevoked (familyId: string): Promise<boolean> {
    const doc = await this.tokens.findOne({ _id: REVOKED_PREFIX + familyId }, { projection: { _id: 1 } })
    return doc !== null
  }

  async sweepExpired (now: Date): Promise<number> {
    const res = await this.tokens.deleteMany({ expires_at: { $lte: now } })
    return res.deletedCount
  }
}
