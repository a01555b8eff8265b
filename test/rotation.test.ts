import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { hashToken } from '../lib/tokens.js'
import { bearer, build, postToken, rawRedis, seed, type Backend } from './helpers.js'

for (const backend of ['memory', 'real'] as Backend[]) {
  describe(`refresh rotation (${backend})`, () => {
    async function login (t: Parameters<typeof build>[0], opts: { scopes?: string[] } = {}) {
      const app = await build(t, backend)
      const s = await seed(app, opts)
      const res = await postToken(app, { client_id: s.clientId, grant_type: 'password', username: s.username, password: s.password })
      assert.equal(res.statusCode, 200)
      return { app, ...s, tokens: res.json() as { access_token: string, refresh_token: string, scope: string } }
    }
    const refresh = (app: Awaited<ReturnType<typeof login>>['app'], clientId: string, token: string, extra: Record<string, string> = {}) =>
      postToken(app, { client_id: clientId, grant_type: 'refresh_token', refresh_token: token, ...extra })

    test('every refresh returns a new refresh token and a working access token', async (t) => {
      const { app, clientId, tokens } = await login(t)
      const res = await refresh(app, clientId, tokens.refresh_token)
      assert.equal(res.statusCode, 200)
      assert.equal(res.headers['cache-control'], 'no-store')
      const next = res.json()
      assert.notEqual(next.refresh_token, tokens.refresh_token)
      assert.notEqual(next.access_token, tokens.access_token)
      assert.equal(next.expires_in, 3600)
      assert.equal((await app.inject({ url: '/endpoint', headers: bearer(next.access_token) })).statusCode, 200)
      // The family goes on: the new refresh token refreshes in turn.
      assert.equal((await refresh(app, clientId, next.refresh_token)).statusCode, 200)
    })

    test('a replayed refresh token revokes its whole family, live access tokens included', async (t) => {
      const { app, clientId, tokens } = await login(t)
      const next = (await refresh(app, clientId, tokens.refresh_token)).json()
      assert.equal((await app.inject({ url: '/endpoint', headers: bearer(next.access_token) })).statusCode, 200)

      const replay = await refresh(app, clientId, tokens.refresh_token)
      assert.equal(replay.statusCode, 400)
      assert.deepEqual(replay.json(), { error: 'invalid_grant', error_description: 'refresh token was already used; its session is revoked' })

      for (const access of [tokens.access_token, next.access_token]) {
        const call = await app.inject({ url: '/endpoint', headers: bearer(access) })
        assert.equal(call.statusCode, 401)
        assert.match(String(call.headers['www-authenticate']), /error="invalid_token"/)
      }
      const after = await refresh(app, clientId, next.refresh_token)
      assert.equal(after.statusCode, 400)
      assert.equal(after.json().error, 'invalid_grant')
    })

    test('revoking one family leaves the user\'s other sessions alone', async (t) => {
      const { app, clientId, username, password, tokens } = await login(t)
      const other = (await postToken(app, { client_id: clientId, grant_type: 'password', username, password })).json()
      await refresh(app, clientId, tokens.refresh_token)
      await refresh(app, clientId, tokens.refresh_token)
      assert.equal((await app.inject({ url: '/endpoint', headers: bearer(other.access_token) })).statusCode, 200)
      assert.equal((await refresh(app, clientId, other.refresh_token)).statusCode, 200)
    })

    test('of many concurrent refreshes with one token exactly one succeeds, and the family is revoked', async (t) => {
      const { app, clientId, tokens } = await login(t)
      const n = 16
      const results = await Promise.all(Array.from({ length: n }, () => refresh(app, clientId, tokens.refresh_token)))
      const ok = results.filter((r) => r.statusCode === 200)
      assert.equal(ok.length, 1)
      for (const r of results.filter((r) => r.statusCode !== 200)) {
        assert.equal(r.statusCode, 400)
        assert.equal(r.json().error, 'invalid_grant')
      }
      // The losers presented a token that was already consumed: reuse, so the winner's new
      // tokens die with the family.
      const winner = (ok[0] as typeof results[number]).json()
      assert.equal((await app.inject({ url: '/endpoint', headers: bearer(winner.access_token) })).statusCode, 401)
      assert.equal((await refresh(app, clientId, winner.refresh_token)).statusCode, 400)
      assert.equal((await app.inject({ url: '/endpoint', headers: bearer(tokens.access_token) })).statusCode, 401)
    })

    test('a refresh may narrow the scope but never widen it, and the family keeps its scope', async (t) => {
      const { app, clientId, tokens } = await login(t, { scopes: ['read', 'write'] })
      assert.equal(tokens.scope, 'read write')
      const narrowed = await refresh(app, clientId, tokens.refresh_token, { scope: 'read' })
      assert.equal(narrowed.statusCode, 200)
      assert.equal(narrowed.json().scope, 'read')
      const posted = await app.inject({ method: 'POST', url: '/endpoint', headers: bearer(narrowed.json().access_token) })
      assert.deepEqual(posted.json().scopes, ['read'])
      // The new refresh token still carries the original grant.
      const back = await refresh(app, clientId, narrowed.json().refresh_token, { scope: 'write' })
      assert.equal(back.statusCode, 200)
      assert.equal(back.json().scope, 'write')
      const widened = await refresh(app, clientId, back.json().refresh_token, { scope: 'read write admin' })
      assert.equal(widened.statusCode, 400)
      assert.deepEqual(widened.json(), { error: 'invalid_scope', error_description: 'scope not allowed: admin' })
    })

    test('a refresh token only works for the client it was issued to', async (t) => {
      const { app, clientId, tokens } = await login(t)
      const { client } = await app.sentinel.admin.createClient({ name: 'other' })
      const res = await refresh(app, client.clientId, tokens.refresh_token)
      assert.equal(res.statusCode, 400)
      assert.deepEqual(res.json(), { error: 'invalid_grant', error_description: 'refresh token was issued to another client' })
      // Not consumed by the failed attempt: its own client can still use it.
      assert.equal((await refresh(app, clientId, tokens.refresh_token)).statusCode, 200)
    })

    test('unknown, malformed and access tokens are invalid_grant at the refresh grant', async (t) => {
      const { app, clientId, tokens } = await login(t)
      for (const token of ['A'.repeat(43), 'not a token', tokens.access_token]) {
        const res = await refresh(app, clientId, token)
        assert.equal(res.statusCode, 400)
        assert.deepEqual(res.json(), { error: 'invalid_grant', error_description: 'refresh token is invalid' })
      }
    })

    test('an expired refresh token is invalid_grant', async (t) => {
      const app = await build(t, backend, { refreshTokenTtl: 1 })
      const s = await seed(app)
      const tokens = (await postToken(app, { client_id: s.clientId, grant_type: 'password', username: s.username, password: s.password })).json()
      await new Promise((resolve) => setTimeout(resolve, 2100))
      const res = await refresh(app, s.clientId, tokens.refresh_token)
      assert.equal(res.statusCode, 400)
      assert.deepEqual(res.json(), { error: 'invalid_grant', error_description: 'refresh token has expired' })
    })

    if (backend === 'real') {
      test('the access tokens of a revoked family leave the Redis mirror at once', async (t) => {
        const { app, clientId, tokens } = await login(t)
        const redis = rawRedis(t)
        const prefix = (app.sentinel.options.redis as { keyPrefix: string }).keyPrefix
        const next = (await refresh(app, clientId, tokens.refresh_token)).json()
        assert.notEqual(await redis.get(prefix + hashToken(next.access_token)), null)
        await refresh(app, clientId, tokens.refresh_token)
        assert.equal(await redis.get(prefix + hashToken(next.access_token)), null)
        assert.equal(await redis.get(prefix + hashToken(tokens.access_token)), null)
      })
    }
  })
}
