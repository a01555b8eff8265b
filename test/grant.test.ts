import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import Fastify from 'fastify'
import fastifyRedis from '@fastify/redis'
import { Redis } from 'ioredis'
import sentinel, { MemoryStore } from '../lib/index.js'
import { Grants } from '../lib/grant.js'
import { Passwords } from '../lib/passwords.js'
import { generateToken, hashToken } from '../lib/tokens.js'
import { bearer, postToken, rawRedis, redisUrl, seed, uniqueName } from './helpers.js'

const silent = Fastify({ logger: false }).log

/** A MemoryStore that counts token look-ups: the question is how often the store is asked. */
class CountingStore extends MemoryStore {
  lookups = 0
  override async findToken (hash: string) {
    this.lookups++
    return super.findToken(hash)
  }
}

describe('grant module', () => {
  test('a spray of random well-formed tokens asks the store once per token, not once per request', async () => {
    const store = new CountingStore()
    const grants = new Grants(store, null, new Passwords(4), { accessTokenTtl: 60, refreshTokenTtl: 60 }, silent)
    const tokens = Array.from({ length: 20 }, generateToken)
    for (let round = 0; round < 5; round++) {
      for (const token of tokens) assert.equal(await grants.lookupAccess(token), null)
    }
    assert.equal(store.lookups, 20)
    // Malformed tokens never reach the store at all.
    assert.equal(await grants.lookupAccess('not-a-token'), null)
    assert.equal(store.lookups, 20)
  })

  test('an unknown token is asked about again once its short negative-cache entry has expired', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() })
    const store = new CountingStore()
    const grants = new Grants(store, null, new Passwords(4), { accessTokenTtl: 60, refreshTokenTtl: 60 }, silent)
    const token = generateToken()
    await grants.lookupAccess(token)
    await grants.lookupAccess(token)
    assert.equal(store.lookups, 1)
    t.mock.timers.tick(5_001)
    await grants.lookupAccess(token)
    assert.equal(store.lookups, 2)
  })

  test('the negative cache is bounded: past its size the oldest misses are forgotten first', async () => {
    const store = new CountingStore()
    const grants = new Grants(store, null, new Passwords(4), { accessTokenTtl: 60, refreshTokenTtl: 60 }, silent)
    const first = generateToken()
    await grants.lookupAccess(first)
    for (let i = 0; i < 10_000; i++) await grants.lookupAccess(generateToken())
    const before = store.lookups
    await grants.lookupAccess(first)
    assert.equal(store.lookups, before + 1)
  })

  test('a token revoked while verify repopulates the mirror does not survive in the mirror', async (t) => {
    const redis = rawRedis(t)
    const keyPrefix = uniqueName('race') + ':'
    // The store forgets the token right after verify's first read, as a concurrent revocation would.
    class RevokedMidway extends MemoryStore {
      override async findToken (hash: string) {
        const found = await super.findToken(hash)
        if (found !== null) await this.deleteTokens([hash])
        return found
      }
    }
    const store = new RevokedMidway()
    const grants = new Grants(store, { redis, keyPrefix, legacy: false }, new Passwords(4), { accessTokenTtl: 60, refreshTokenTtl: 60 }, silent)
    const user = await store.createUser({ username: 'u', hashpw: 'x' })
    const client = await store.createClient({ clientId: 'c', clientType: 'public', allowedGrantTypes: ['password'], scopes: [] })
    const token = generateToken()
    const now = new Date()
    await store.insertTokens([{ hash: hashToken(token), kind: 'access', familyId: 'f', clientId: client.clientId, userId: user.id, scope: '', expiresAt: new Date(now.getTime() + 60_000), consumedAt: null, createdAt: now }])
    assert.equal(await grants.lookupAccess(token), null)
    assert.equal(await redis.exists(keyPrefix + hashToken(token)), 0)
  })

  test('when the mirror cannot be cleaned during a revocation, the answer is 503, not a silent success', async (t) => {
    const redis = new Redis(redisUrl(), { enableOfflineQueue: false, maxRetriesPerRequest: 0 })
    const app = Fastify()
    await app.register(fastifyRedis, { client: redis })
    await app.register(sentinel, { bcryptCost: 4, requireTls: false, sweepInterval: 0, redis: { keyPrefix: uniqueName('down') + ':' } })
    t.after(async () => { await app.close(); redis.disconnect() })
    const s = await seed(app as never)
    const first = (await postToken(app as never, { client_id: s.clientId, grant_type: 'password', username: s.username, password: s.password })).json()
    await postToken(app as never, { client_id: s.clientId, grant_type: 'refresh_token', refresh_token: first.refresh_token })
    redis.disconnect()
    const replay = await postToken(app as never, { client_id: s.clientId, grant_type: 'refresh_token', refresh_token: first.refresh_token })
    assert.equal(replay.statusCode, 503)
    assert.deepEqual(replay.json(), { error: 'temporarily_unavailable', error_description: 'the token cache is unavailable; try again' })
  })

  test('an unexpected fault is 500 server_error with no detail for the client', async (t) => {
    class Broken extends MemoryStore {
      override async findClient (): Promise<never> { throw new TypeError('cannot read properties of undefined (secret detail)') }
    }
    const app = Fastify({ logger: false })
    await app.register(sentinel, { bcryptCost: 4, requireTls: false, sweepInterval: 0, store: new Broken() })
    t.after(() => app.close())
    const res = await postToken(app as never, { client_id: 'c', grant_type: 'password', username: 'u', password: 'p' })
    assert.equal(res.statusCode, 500)
    assert.deepEqual(res.json(), { error: 'server_error', error_description: 'internal error' })
    assert.equal(res.body.includes('secret detail'), false)
  })

  test('verify on a host app protects routes registered after the plugin', async (t) => {
    const app = Fastify()
    await app.register(sentinel, { bcryptCost: 4, requireTls: false, sweepInterval: 0 })
    app.get('/me', { preHandler: app.sentinel.verify }, async (request) => ({ user: request.oauth?.userId }))
    t.after(() => app.close())
    const s = await seed(app as never)
    const token = (await postToken(app as never, { client_id: s.clientId, grant_type: 'password', username: s.username, password: s.password })).json()
    const res = await app.inject({ url: '/me', headers: bearer(token.access_token) })
    assert.deepEqual(res.json(), { user: s.user.id })
  })
})
