import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Redis } from 'ioredis'
import { OAuthError } from './errors.js'
import type { Passwords } from './passwords.js'
import { formatScope, grantScope } from './scope.js'
import type { ClientRecord, Store, TokenRecord } from './store/types.js'
import { generateToken, hashToken, isWellFormedToken } from './tokens.js'

/*
 * The grant handler: the one module that knows how a token becomes records. Issuance, refresh
 * rotation with reuse detection (RFC 9700 section 4.14.2), revocation and the Redis mirror's key
 * and value format live here and only here.
 *
 * Redis mirror, documented in the README:
 *   {keyPrefix}{sha256hex(access_token)} -> {"sub","client_id","scope","exp"}, TTL = remaining life
 * Legacy mirror (opt-in, flask-sentinel's format): {raw access_token} -> user id, plus a pointer
 *   {keyPrefix}legacy:{sha256hex} -> raw token, so that revocation can find the legacy key.
 */

export interface TokenResponse {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
  refresh_token?: string
  scope: string
}

export interface AccessInfo {
  /** The resource owner; null for a client_credentials token, which acts for the client itself. */
  userId: string | null
  clientId: string
  scopes: string[]
  expiresAt: Date
}

// sub is '' for a client_credentials token (no user), as user_id is in the store.
interface MirrorValue { sub: string, client_id: string, scope: string, exp: number }

/** RFC 7662 section 2.2: what introspection tells about a live token. */
export interface Introspection {
  active: true
  scope: string
  client_id: string
  username?: string
  sub: string
  token_type?: 'Bearer'
  exp: number
  iat: number
}

export interface GrantSettings {
  accessTokenTtl: number
  refreshTokenTtl: number
}

export interface Mirror {
  redis: Redis
  keyPrefix: string
  /** Also write flask-sentinel's format: raw token -> user id. */
  legacy: boolean
}

// Unknown tokens are remembered briefly so that a spray of random, well-formed tokens cannot
// hammer the store. Only hashes that matched nothing go here; a token we issue is never in it.
const NEGATIVE_TTL_MS = 5_000
const NEGATIVE_MAX = 10_000

function invalidGrant (description: string): OAuthError {
  return new OAuthError('invalid_grant', description)
}

export class Grants {
  private readonly negative = new Map<string, number>()

  constructor (
    readonly store: Store,
    private readonly mirror: Mirror | null,
    private readonly passwords: Passwords,
    private readonly settings: GrantSettings,
    private readonly log: FastifyBaseLogger
  ) {}

  /** RFC 6749 section 4.3: the resource owner password credentials grant. */
  async password (client: ClientRecord, username: string, password: string, scope: string | undefined): Promise<TokenResponse> {
    const scopes = grantScope(scope, client.scopes, client.scopes)
    const user = await this.store.findUserByUsername(username)
    // One bcrypt comparison whether or not the user exists: same answer, same cost.
    const ok = await this.passwords.verify(password, user?.hashpw)
    if (user === null || !ok) throw invalidGrant('invalid username or password')
    if (this.passwords.needsRehash(user.hashpw)) {
      await this.store.setUserPassword(user.id, await this.passwords.hash(password))
      this.log.info({ userId: user.id }, 'fastify-sentinel: upgraded password hash to the configured bcrypt cost')
    }
    return this.issue(client.clientId, user.id, randomUUID(), scopes, scopes, true)
  }

  /**
   * RFC 6749 section 4.4: the client acts on its own behalf. An access token only (section
   * 4.4.3: a refresh token SHOULD NOT be included), with no user: user_id ''.
   */
  async clientCredentials (client: ClientRecord, scope: string | undefined): Promise<TokenResponse> {
    const scopes = grantScope(scope, client.scopes, client.scopes)
    return this.issue(client.clientId, '', randomUUID(), scopes, null, true)
  }

  /** RFC 6749 section 6, with rotation and reuse detection (RFC 9700 section 4.14.2). */
  async refresh (client: ClientRecord, refreshToken: string, scope: string | undefined): Promise<TokenResponse> {
    if (!isWellFormedToken(refreshToken)) throw invalidGrant('refresh token is invalid')
    const hash = hashToken(refreshToken)
    const record = await this.store.findToken(hash)
    const now = new Date()
    if (record === null || record.kind !== 'refresh') throw invalidGrant('refresh token is invalid')
    if (record.clientId !== client.clientId) throw invalidGrant('refresh token was issued to another client')
    if (record.consumedAt !== null) {
      await this.revokeFamily(record.familyId)
      throw invalidGrant('refresh token was already used; its session is revoked')
    }
    if (record.expiresAt <= now) throw invalidGrant('refresh token has expired')
    const familyScopes = parseScopeStored(record.scope)
    // May narrow, never widen (RFC 6749 section 6).
    const scopes = grantScope(scope, familyScopes, familyScopes)
    const won = await this.store.consumeRefreshToken(hash, now, record.expiresAt)
    if (won === null) {
      // Consumed between our read and our write: another request presented it too.
      await this.revokeFamily(record.familyId)
      throw invalidGrant('refresh token was already used; its session is revoked')
    }
    // The new refresh token keeps the family's scope; only the access token is narrowed.
    return this.issue(client.clientId, record.userId, record.familyId, scopes, familyScopes, false)
  }

  private async issue (clientId: string, userId: string, familyId: string, scopes: string[], refreshScopes: string[] | null, newFamily: boolean): Promise<TokenResponse> {
    const nowSec = Math.floor(Date.now() / 1000)
    const createdAt = new Date(nowSec * 1000)
    const accessToken = generateToken()
    const refresh = refreshScopes === null ? null : { token: generateToken(), scopes: refreshScopes }
    const access: TokenRecord = {
      hash: hashToken(accessToken),
      kind: 'access',
      familyId,
      clientId,
      userId,
      scope: formatScope(scopes),
      expiresAt: new Date((nowSec + this.settings.accessTokenTtl) * 1000),
      consumedAt: null,
      createdAt
    }
    const records = [access]
    if (refresh !== null) {
      records.push({
        ...access,
        hash: hashToken(refresh.token),
        kind: 'refresh',
        scope: formatScope(refresh.scopes),
        expiresAt: new Date((nowSec + this.settings.refreshTokenTtl) * 1000)
      })
    }
    await this.store.insertTokens(records)
    await this.writeMirror(access, accessToken)
    // A family revoked while this rotation was writing must not leave these tokens alive: the
    // revoker marks first and then deletes what it finds, we insert first and then look for
    // the mark, so one of the two always sees the other.
    if (!newFamily && await this.store.isFamilyRevoked(familyId)) {
      await this.deleteRecords(records)
    }
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: this.settings.accessTokenTtl,
      ...(refresh !== null && { refresh_token: refresh.token }),
      scope: access.scope
    }
  }

  /**
   * RFC 7009 section 2.1, for an authenticated client. A refresh token takes its whole family
   * with it, access tokens included (the SHOULD of 2.1); an access token goes alone, so that a
   * client dropping one access token keeps its session. A token that is unknown, malformed or
   * issued to another client is left alone and the caller still answers 200 (2.2): an error
   * would tell a client that a token it guessed is valid for someone else.
   */
  async revoke (client: ClientRecord, token: string): Promise<void> {
    if (!isWellFormedToken(token)) return
    const record = await this.store.findToken(hashToken(token))
    if (record === null || record.clientId !== client.clientId) return
    if (record.kind === 'refresh') await this.revokeFamily(record.familyId)
    else await this.deleteRecords([record])
  }

  /**
   * RFC 7662 section 2.2: the facts about a live access or refresh token, read from the store
   * (the authority); null for anything unknown, expired, consumed or revoked.
   */
  async introspect (token: string): Promise<Introspection | null> {
    if (!isWellFormedToken(token)) return null
    const record = await this.store.findToken(hashToken(token))
    if (record === null || record.expiresAt.getTime() <= Date.now()) return null
    if (record.kind === 'refresh' && (record.consumedAt !== null || await this.store.isFamilyRevoked(record.familyId))) return null
    const user = record.userId === '' ? null : await this.store.findUserById(record.userId)
    return {
      active: true,
      scope: record.scope,
      client_id: record.clientId,
      ...(user !== null && { username: user.username }),
      // A client_credentials token's resource owner is the client itself (RFC 6749 section 4.4).
      sub: record.userId === '' ? record.clientId : record.userId,
      ...(record.kind === 'access' && { token_type: 'Bearer' as const }),
      exp: Math.floor(record.expiresAt.getTime() / 1000),
      iat: Math.floor(record.createdAt.getTime() / 1000)
    }
  }

  /** Revokes a whole family: its refresh tokens, its access tokens, their mirror entries. */
  async revokeFamily (familyId: string): Promise<void> {
    const until = new Date(Date.now() + this.settings.refreshTokenTtl * 1000)
    await this.store.markFamilyRevoked(familyId, until)
    await this.deleteRecords(await this.store.findTokensBy('familyId', familyId))
  }

  /** Revokes every token of a user (or of a client): all their families. */
  async revokeAllOf (field: 'userId' | 'clientId', value: string): Promise<number> {
    const records = await this.store.findTokensBy(field, value)
    const families = new Set(records.map((r) => r.familyId))
    for (const family of families) await this.revokeFamily(family)
    return families.size
  }

  // Store first, then the mirror: a verify that repopulates the mirror from the store in
  // between re-reads the store afterwards (see lookupAccess), so no stale entry survives.
  private async deleteRecords (records: TokenRecord[]): Promise<void> {
    if (records.length === 0) return
    await this.store.deleteTokens(records.map((r) => r.hash))
    await this.deleteMirror(records.filter((r) => r.kind === 'access').map((r) => r.hash))
  }

  /**
   * verify's lookup chain: shape check, negative cache, Redis mirror, store (repopulating the
   * mirror). Returns null for anything unknown or expired.
   */
  async lookupAccess (token: string): Promise<AccessInfo | null> {
    if (!isWellFormedToken(token)) return null
    const hash = hashToken(token)
    const now = Date.now()
    const missUntil = this.negative.get(hash)
    if (missUntil !== undefined) {
      if (missUntil > now) return null
      this.negative.delete(hash)
    }
    const mirrored = await this.readMirror(hash)
    if (mirrored !== null) {
      const expiresAt = new Date(mirrored.exp * 1000)
      if (expiresAt.getTime() <= now) return null
      return { userId: mirrored.sub === '' ? null : mirrored.sub, clientId: mirrored.client_id, scopes: parseScopeStored(mirrored.scope), expiresAt }
    }
    const record = await this.store.findToken(hash)
    if (record === null || record.kind !== 'access') {
      this.rememberMiss(hash, now)
      return null
    }
    if (record.expiresAt.getTime() <= now) return null
    if (this.mirror !== null) {
      await this.writeMirror(record, null)
      // A revocation may have deleted the record between our read and our write: look again.
      if (await this.store.findToken(hash) === null) {
        await this.deleteMirror([hash])
        return null
      }
    }
    return { userId: record.userId === '' ? null : record.userId, clientId: record.clientId, scopes: parseScopeStored(record.scope), expiresAt: record.expiresAt }
  }

  /** Deletes expired tokens and family marks from the store. */
  async sweep (): Promise<number> {
    return this.store.sweepExpired(new Date())
  }

  private rememberMiss (hash: string, now: number): void {
    if (this.negative.size >= NEGATIVE_MAX) {
      // Oldest first: Map keeps insertion order.
      const oldest = this.negative.keys().next().value as string
      this.negative.delete(oldest)
    }
    this.negative.set(hash, now + NEGATIVE_TTL_MS)
  }

  private async readMirror (hash: string): Promise<MirrorValue | null> {
    if (this.mirror === null) return null
    try {
      const raw = await this.mirror.redis.get(this.mirror.keyPrefix + hash)
      return raw === null ? null : JSON.parse(raw) as MirrorValue
    } catch (err) {
      // Redis down or a damaged entry: fall through to the store.
      this.log.warn({ err: { message: (err as Error).message } }, 'fastify-sentinel: Redis mirror read failed; using the store')
      return null
    }
  }

  private async writeMirror (record: TokenRecord, rawToken: string | null): Promise<void> {
    if (this.mirror === null) return
    const { redis, keyPrefix, legacy } = this.mirror
    const ttlMs = record.expiresAt.getTime() - Date.now()
    if (ttlMs <= 0) return
    const value: MirrorValue = { sub: record.userId, client_id: record.clientId, scope: record.scope, exp: Math.floor(record.expiresAt.getTime() / 1000) }
    try {
      const pipeline = redis.pipeline().set(keyPrefix + record.hash, JSON.stringify(value), 'PX', ttlMs)
      if (legacy && rawToken !== null) {
        pipeline.set(rawToken, record.userId, 'PX', ttlMs)
        pipeline.set(keyPrefix + 'legacy:' + record.hash, rawToken, 'PX', ttlMs)
      }
      await execPipeline(pipeline)
    } catch (err) {
      // The token is in the store; verify falls back to it and repopulates the mirror.
      this.log.warn({ err: { message: (err as Error).message } }, 'fastify-sentinel: Redis mirror write failed')
    }
  }

  private async deleteMirror (hashes: string[]): Promise<void> {
    if (this.mirror === null || hashes.length === 0) return
    const { redis, keyPrefix, legacy } = this.mirror
    try {
      if (legacy) {
        const pointers = redis.pipeline()
        for (const hash of hashes) pointers.get(keyPrefix + 'legacy:' + hash)
        const raws = await execPipeline(pointers)
        const dels = redis.pipeline()
        raws.forEach((raw, i) => {
          if (typeof raw === 'string') dels.del(raw)
          dels.del(keyPrefix + 'legacy:' + hashes[i])
        })
        await execPipeline(dels)
      }
      // One key per command: no multi-key command across Redis Cluster hash slots.
      const pipeline = redis.pipeline()
      for (const hash of hashes) pipeline.del(keyPrefix + hash)
      await execPipeline(pipeline)
    } catch (err) {
      this.log.error({ err: { message: (err as Error).message } }, 'fastify-sentinel: Redis mirror delete failed; revoked tokens stay in the mirror until they expire')
      throw new OAuthError('temporarily_unavailable', 'the token cache is unavailable; try again')
    }
  }
}

/** A pipeline's results, failing on the first command that failed. */
async function execPipeline (pipeline: ReturnType<Redis['pipeline']>): Promise<unknown[]> {
  const results = await pipeline.exec()
  return (results ?? []).map(([err, value]) => {
    if (err !== null) throw err
    return value
  })
}

function parseScopeStored (scope: string): string[] {
  return scope === '' ? [] : scope.split(' ')
}
