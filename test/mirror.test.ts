import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { hashToken } from '../lib/tokens.js'
import { bearer, build, postToken, rawRedis, seed } from './helpers.js'

describe('Redis mirror', () => {
  test('an issued access token is mirrored under its SHA-256 with the documented value and TTL', async (t) => {
    const app = await build(t, 'real')
    const redis = rawRedis(t)
    const s = await seed(app, { scopes: ['read', 'write'] })
    const res = (await postToken(app, { client_id: s.clientId, grant_type: 'password', username: s.username, password: s.password })).json()
    const prefix = (app.sentinel.options.redis as { keyPrefix: string }).keyPrefix
    const raw = await redis.get(prefix + hashToken(res.access_token))
    assert.notEqual(raw, null)
    const value = JSON.parse(raw as string)
    assert.deepEqual(Object.keys(value).sort(), ['client_id', 'exp', 'scope', 'sub'])
    assert.equal(value.sub, s.user.id)
    assert.equal(value.client_id, s.clientId)
    assert.equal(value.scope, 'read write')
    const nowSec = Date.now() / 1000
    assert.ok(value.exp > nowSec + 3590 && value.exp <= nowSec + 3600)
    const ttl = await redis.pttl(prefix + hashToken(res.access_token))
    assert.ok(ttl > 3590_000 && ttl <= 3600_000, `ttl ${ttl}`)
    // Neither raw token is a key, and the refresh token is not mirrored at all.
    assert.equal(await redis.exists(res.access_token), 0)
    assert.equal(await redis.exists(prefix + hashToken(res.refresh_token)), 0)
    assert.deepEqual(await redis.keys(prefix + '*'), [prefix + hashToken(res.access_token)])
  })

  test('the legacy mirror also writes flask-sentinel\'s format and removes it on revocation', async (t) => {
    const app = await build(t, 'real', { redis: { legacyMirror: true } })
    const redis = rawRedis(t)
    const s = await seed(app)
    const first = (await postToken(app, { client_id: s.clientId, grant_type: 'password', username: s.username, password: s.password })).json()
    assert.equal(await redis.get(first.access_token), s.user.id)
    const ttl = await redis.pttl(first.access_token)
    assert.ok(ttl > 3590_000 && ttl <= 3600_000)
    const next = (await postToken(app, { client_id: s.clientId, grant_type: 'refresh_token', refresh_token: first.refresh_token })).json()
    assert.equal(await redis.get(next.access_token), s.user.id)
    // Replay: the family is revoked, legacy keys included.
    await postToken(app, { client_id: s.clientId, grant_type: 'refresh_token', refresh_token: first.refresh_token })
    assert.equal(await redis.exists(first.access_token), 0)
    assert.equal(await redis.exists(next.access_token), 0)
    const prefix = (app.sentinel.options.redis as { keyPrefix: string }).keyPrefix
    assert.deepEqual(await redis.keys(prefix + '*'), [])
  })

  test('revoking a user\'s sessions takes their tokens out of the mirror and verify refuses them', async (t) => {
    const app = await build(t, 'real')
    const redis = rawRedis(t)
    const s = await seed(app)
    const a = (await postToken(app, { client_id: s.clientId, grant_type: 'password', username: s.username, password: s.password })).json()
    const b = (await postToken(app, { client_id: s.clientId, grant_type: 'password', username: s.username, password: s.password })).json()
    assert.equal(await app.sentinel.admin.revokeUserSessions(s.user.id), 2)
    const prefix = (app.sentinel.options.redis as { keyPrefix: string }).keyPrefix
    assert.deepEqual(await redis.keys(prefix + '*'), [])
    for (const token of [a.access_token, b.access_token]) {
      assert.equal((await app.inject({ url: '/endpoint', headers: bearer(token) })).statusCode, 401)
    }
  })
})
