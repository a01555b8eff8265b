import assert from 'node:assert/strict'
import { test } from 'node:test'
import { bearer, build, postToken, seed } from './helpers.js'
import { basic, buildCluster, confidential, post } from './standards-helpers.js'

async function login (app: Parameters<typeof seed>[0]) {
  const s = await seed(app)
  const res = await postToken(app, { grant_type: 'password', username: s.username, password: s.password, client_id: s.clientId })
  assert.equal(res.statusCode, 200)
  return { ...s, access: res.json().access_token as string, refresh: res.json().refresh_token as string }
}

const endpoint = (app: Parameters<typeof seed>[0], token: string) => app.inject({ method: 'GET', url: '/endpoint', headers: bearer(token) })

for (const backend of ['memory', 'real'] as const) {
  test(`revoking a refresh token revokes its family and their access tokens (${backend})`, async (t) => {
    const app = await build(t, backend)
    const s = await login(app)
    // Rotate once: the family now holds two access tokens and two refresh tokens.
    const rotated = (await postToken(app, { grant_type: 'refresh_token', refresh_token: s.refresh, client_id: s.clientId })).json()
    assert.equal((await endpoint(app, s.access)).statusCode, 200)
    const res = await post(app, '/oauth/revoke', { token: rotated.refresh_token, token_type_hint: 'refresh_token', client_id: s.clientId })
    assert.equal(res.statusCode, 200)
    assert.equal(res.body, '')
    assert.equal(res.headers['cache-control'], 'no-store')
    assert.equal((await endpoint(app, s.access)).statusCode, 401)
    assert.equal((await endpoint(app, rotated.access_token)).statusCode, 401)
    const refresh = await postToken(app, { grant_type: 'refresh_token', refresh_token: rotated.refresh_token, client_id: s.clientId })
    assert.equal(refresh.statusCode, 400)
    assert.equal(refresh.json().error, 'invalid_grant')
  })

  test(`revoking an access token revokes that token only; the session's refresh token still works (${backend})`, async (t) => {
    const app = await build(t, backend)
    const s = await login(app)
    assert.equal((await endpoint(app, s.access)).statusCode, 200)
    const res = await post(app, '/oauth/revoke', { token: s.access, client_id: s.clientId })
    assert.equal(res.statusCode, 200)
    const after = await endpoint(app, s.access)
    assert.equal(after.statusCode, 401)
    assert.match(after.headers['www-authenticate'] as string, /error="invalid_token"/)
    const refresh = await postToken(app, { grant_type: 'refresh_token', refresh_token: s.refresh, client_id: s.clientId })
    assert.equal(refresh.statusCode, 200)
  })
}

test('a token revoked on one instance is refused at once by another (shared store and Redis mirror)', async (t) => {
  const [a, b] = await buildCluster(t, 2) as [Parameters<typeof seed>[0], Parameters<typeof seed>[0]]
  const s = await login(a)
  // b has seen the token: it is in the Redis mirror now.
  assert.equal((await endpoint(b, s.access)).statusCode, 200)
  assert.equal((await endpoint(a, s.access)).statusCode, 200)
  assert.equal((await post(a, '/oauth/revoke', { token: s.access, client_id: s.clientId })).statusCode, 200)
  assert.equal((await endpoint(b, s.access)).statusCode, 401)
  assert.equal((await endpoint(a, s.access)).statusCode, 401)
})

test('an unknown or malformed token answers 200 and changes nothing', async (t) => {
  const app = await build(t, 'memory')
  const s = await login(app)
  for (const token of ['A'.repeat(43), 'not a token']) {
    const res = await post(app, '/oauth/revoke', { token, client_id: s.clientId })
    assert.equal(res.statusCode, 200, token)
  }
  assert.equal((await endpoint(app, s.access)).statusCode, 200)
})

test('a client cannot revoke another client\'s token: 200, and the token stays live', async (t) => {
  const app = await build(t, 'real')
  const s = await login(app)
  const other = await confidential(app)
  const res = await post(app, '/oauth/revoke', { token: s.refresh }, basic(other.clientId, other.clientSecret))
  assert.equal(res.statusCode, 200)
  assert.equal((await endpoint(app, s.access)).statusCode, 200)
  const refresh = await postToken(app, { grant_type: 'refresh_token', refresh_token: s.refresh, client_id: s.clientId })
  assert.equal(refresh.statusCode, 200)
})

test('revocation requires client authentication', async (t) => {
  const app = await build(t, 'memory')
  const s = await login(app)
  const { clientId } = await confidential(app)
  const none = await post(app, '/oauth/revoke', { token: s.access })
  assert.equal(none.statusCode, 401)
  assert.equal(none.json().error, 'invalid_client')
  const wrong = await post(app, '/oauth/revoke', { token: s.access }, basic(clientId, 'nope'))
  assert.equal(wrong.statusCode, 401)
  assert.match(wrong.headers['www-authenticate'] as string, /^Basic /)
  assert.equal((await endpoint(app, s.access)).statusCode, 200)
})

test('a confidential client revokes its own token with Basic authentication', async (t) => {
  const app = await build(t, 'memory')
  await app.sentinel.admin.createUser('jonas', 'pass')
  const { clientId, clientSecret } = await confidential(app)
  const tokens = (await postToken(app, { grant_type: 'password', username: 'jonas', password: 'pass' }, basic(clientId, clientSecret))).json()
  const res = await post(app, '/oauth/revoke', { token: tokens.refresh_token }, basic(clientId, clientSecret))
  assert.equal(res.statusCode, 200)
  assert.equal((await endpoint(app, tokens.access_token)).statusCode, 401)
})

test('an unknown token_type_hint is unsupported_token_type; a missing token is invalid_request', async (t) => {
  const app = await build(t, 'memory')
  const s = await login(app)
  const hint = await post(app, '/oauth/revoke', { token: s.access, token_type_hint: 'id_token', client_id: s.clientId })
  assert.equal(hint.statusCode, 400)
  assert.equal(hint.json().error, 'unsupported_token_type')
  assert.equal((await endpoint(app, s.access)).statusCode, 200)
  const missing = await post(app, '/oauth/revoke', { client_id: s.clientId })
  assert.equal(missing.statusCode, 400)
  assert.deepEqual(missing.json(), { error: 'invalid_request', error_description: 'missing parameter: token' })
})

test('revokeUrl: false removes the endpoint', async (t) => {
  const app = await build(t, 'memory', { revokeUrl: false })
  const res = await post(app, '/oauth/revoke', { token: 'x' })
  assert.equal(res.statusCode, 404)
})
