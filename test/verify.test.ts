import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import Fastify from 'fastify'
import formbody from '@fastify/formbody'
import sentinel from '../lib/index.js'
import { hashToken } from '../lib/tokens.js'
import fastifyRedis from '@fastify/redis'
import { Redis } from 'ioredis'
import { bearer, build, dropDatabase, FORM, form, mongoUrl, postToken, rawRedis, redisUrl, seed, uniqueName, type Backend } from './helpers.js'

async function tokenFor (app: Awaited<ReturnType<typeof build>>) {
  const s = await seed(app)
  const res = await postToken(app, { client_id: s.clientId, grant_type: 'password', username: s.username, password: s.password })
  return { ...s, tokens: res.json() as { access_token: string, refresh_token: string } }
}

describe('verify (RFC 6750)', () => {
  test('no token: 401 with a bare Bearer challenge and no error attribute', async (t) => {
    const app = await build(t, 'memory')
    for (const headers of [{}, { authorization: 'Basic dXNlcjpwYXNz' }]) {
      const res = await app.inject({ url: '/endpoint', headers })
      assert.equal(res.statusCode, 401)
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="fastify-sentinel"')
    }
  })

  test('the realm is configurable', async (t) => {
    const app = await build(t, 'memory', { realm: 'api "v2"' })
    const res = await app.inject({ url: '/endpoint' })
    assert.equal(res.headers['www-authenticate'], 'Bearer realm="api \\"v2\\""')
  })

  test('an unknown or malformed token is invalid_token, 401, with the error in the challenge', async (t) => {
    const app = await build(t, 'memory')
    for (const token of ['A'.repeat(43), 'short', 'x'.repeat(500)]) {
      const res = await app.inject({ url: '/endpoint', headers: bearer(token) })
      assert.equal(res.statusCode, 401)
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="fastify-sentinel", error="invalid_token", error_description="the access token is invalid, expired or revoked"')
      assert.deepEqual(res.json(), { error: 'invalid_token', error_description: 'the access token is invalid, expired or revoked' })
    }
  })

  test('a malformed Authorization: Bearer header is invalid_request, 400', async (t) => {
    const app = await build(t, 'memory')
    for (const authorization of ['Bearer', 'Bearer ', 'Bearer a b', 'Bearer ä']) {
      const res = await app.inject({ url: '/endpoint', headers: { authorization } })
      assert.equal(res.statusCode, 400, authorization)
      assert.match(String(res.headers['www-authenticate']), /^Bearer realm="fastify-sentinel", error="invalid_request"/)
    }
  })

  test('a refresh token is not an access token', async (t) => {
    const app = await build(t, 'memory')
    const { tokens } = await tokenFor(app)
    const res = await app.inject({ url: '/endpoint', headers: bearer(tokens.refresh_token) })
    assert.equal(res.statusCode, 401)
  })

  test('on success request.oauth carries the user, client, scopes and expiry', async (t) => {
    const app = await build(t, 'memory')
    const { user, clientId, tokens } = await tokenFor(app)
    const res = await app.inject({ method: 'POST', url: '/endpoint', headers: bearer(tokens.access_token) })
    assert.equal(res.statusCode, 200)
    const oauth = res.json()
    assert.equal(oauth.userId, user.id)
    assert.equal(oauth.clientId, clientId)
    assert.deepEqual(oauth.scopes, [])
    const left = Date.parse(oauth.expiresAt) - Date.now()
    assert.ok(left > 3590_000 && left <= 3600_000, `expires in ${left} ms`)
  })

  test('the access_token form field works on urlencoded non-GET requests only', async (t) => {
    const app = Fastify()
    await app.register(formbody)
    await app.register(sentinel, { bcryptCost: 4, requireTls: false, sweepInterval: 0 })
    app.post('/endpoint', { preHandler: app.sentinel.verify }, async () => 'ok')
    app.get('/endpoint', { preHandler: app.sentinel.verify }, async () => 'ok')
    t.after(() => app.close())
    const { tokens } = await tokenFor(app as never)
    const viaForm = await app.inject({ method: 'POST', url: '/endpoint', headers: FORM, payload: form({ access_token: tokens.access_token }) })
    assert.equal(viaForm.statusCode, 200)
    const viaJson = await app.inject({ method: 'POST', url: '/endpoint', payload: { access_token: tokens.access_token } })
    assert.equal(viaJson.statusCode, 401)
    assert.equal(viaJson.headers['www-authenticate'], 'Bearer realm="fastify-sentinel"')
    const twice = await app.inject({ method: 'POST', url: '/endpoint', headers: { ...FORM, ...bearer(tokens.access_token) }, payload: form({ access_token: tokens.access_token }) })
    assert.equal(twice.statusCode, 400)
    assert.match(String(twice.headers['www-authenticate']), /error="invalid_request", error_description="send the access token one way only/)
    const repeated = await app.inject({ method: 'POST', url: '/endpoint', headers: FORM, payload: 'access_token=a&access_token=b' })
    assert.equal(repeated.statusCode, 400)
  })

  test('the access_token query parameter is refused unless allowed', async (t) => {
    const off = await build(t, 'memory')
    const a = await tokenFor(off)
    const refused = await off.inject({ url: `/endpoint?access_token=${a.tokens.access_token}` })
    assert.equal(refused.statusCode, 400)
    assert.match(String(refused.headers['www-authenticate']), /error="invalid_request", error_description="access_token in the query string is not accepted/)

    const on = await build(t, 'memory', { allowQueryToken: true })
    const b = await tokenFor(on)
    assert.equal((await on.inject({ url: `/endpoint?access_token=${b.tokens.access_token}` })).statusCode, 200)
    const both = await on.inject({ url: `/endpoint?access_token=${b.tokens.access_token}`, headers: bearer(b.tokens.access_token) })
    assert.equal(both.statusCode, 400)
    assert.equal((await on.inject({ url: '/endpoint?access_token=a&access_token=b' })).statusCode, 400)
  })

  test('an expired access token is invalid_token', async (t) => {
    const app = await build(t, 'memory', { accessTokenTtl: 1 })
    const { tokens } = await tokenFor(app)
    assert.equal((await app.inject({ url: '/endpoint', headers: bearer(tokens.access_token) })).statusCode, 200)
    await new Promise((resolve) => setTimeout(resolve, 2100))
    assert.equal((await app.inject({ url: '/endpoint', headers: bearer(tokens.access_token) })).statusCode, 401)
  })
})

for (const backend of ['real'] as Backend[]) {
  describe(`verify lookup chain (${backend})`, () => {
    test('the Redis mirror answers alone: a token mirrored but not stored is accepted', async (t) => {
      const app = await build(t, backend)
      const { tokens } = await tokenFor(app)
      // Remove the store record: only the mirror can admit the request now.
      await app.sentinel.store.deleteTokens([hashToken(tokens.access_token)])
      assert.equal((await app.inject({ url: '/endpoint', headers: bearer(tokens.access_token) })).statusCode, 200)
    })

    test('a mirror miss falls through to the store and repopulates the mirror with the remaining TTL', async (t) => {
      const app = await build(t, backend)
      const redis = rawRedis(t)
      const { tokens } = await tokenFor(app)
      const key = (app.sentinel.options.redis as { keyPrefix: string }).keyPrefix + hashToken(tokens.access_token)
      await redis.del(key)
      assert.equal((await app.inject({ url: '/endpoint', headers: bearer(tokens.access_token) })).statusCode, 200)
      assert.notEqual(await redis.get(key), null)
      const ttl = await redis.pttl(key)
      assert.ok(ttl > 3590_000 && ttl <= 3600_000, `ttl ${ttl}`)
    })

    test('an expired entry in the mirror is refused even before Redis drops it', async (t) => {
      const app = await build(t, backend)
      const redis = rawRedis(t)
      const { tokens } = await tokenFor(app)
      const key = (app.sentinel.options.redis as { keyPrefix: string }).keyPrefix + hashToken(tokens.access_token)
      const value = JSON.parse(await redis.get(key) as string)
      await redis.set(key, JSON.stringify({ ...value, exp: Math.floor(Date.now() / 1000) - 1 }), 'EX', 60)
      assert.equal((await app.inject({ url: '/endpoint', headers: bearer(tokens.access_token) })).statusCode, 401)
    })

    test('when Redis is down, verify and the token endpoint fall back to the store', async (t) => {
      // The host owns this Redis client (the plugin reuses fastify.redis), so the test can cut it.
      const redis = new Redis(redisUrl(), { enableOfflineQueue: false, maxRetriesPerRequest: 0 })
      const app = Fastify()
      await app.register(fastifyRedis, { client: redis })
      const database = uniqueName('redisdown')
      await app.register(sentinel, { bcryptCost: 4, requireTls: false, sweepInterval: 0, mongo: { url: mongoUrl(), database }, redis: { keyPrefix: database + ':' } })
      app.get('/endpoint', { preHandler: app.sentinel.verify }, async () => 'ok')
      t.after(async () => { await app.close(); redis.disconnect(); await dropDatabase(database) })
      await app.ready()
      assert.equal(app.sentinel.backends.mirror, 'redis')
      const { tokens, clientId, username, password } = await tokenFor(app as never)

      redis.disconnect()
      const during = await app.inject({ url: '/endpoint', headers: bearer(tokens.access_token) })
      assert.equal(during.statusCode, 200)
      const issued = await postToken(app as never, { client_id: clientId, grant_type: 'password', username, password })
      assert.equal(issued.statusCode, 200)
      assert.equal((await app.inject({ url: '/endpoint', headers: bearer(issued.json().access_token) })).statusCode, 200)
    })
  })
}
