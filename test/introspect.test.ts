import assert from 'node:assert/strict'
import { test } from 'node:test'
import { build, postToken, seed } from './helpers.js'
import { basic, confidential, post } from './standards-helpers.js'

async function setup (t: Parameters<typeof build>[0], backend: 'memory' | 'real' = 'memory', opts = {}) {
  const app = await build(t, backend, opts)
  const s = await seed(app, { scopes: ['read', 'write'] })
  const tokens = (await postToken(app, { grant_type: 'password', username: s.username, password: s.password, client_id: s.clientId })).json()
  const rs = await confidential(app, { allowedGrantTypes: [] })
  const introspect = (token: string, extra: Record<string, string> = {}) => post(app, '/oauth/introspect', { token, ...extra }, basic(rs.clientId, rs.clientSecret))
  return { app, s, tokens, rs, introspect }
}

for (const backend of ['memory', 'real'] as const) {
  test(`introspecting a live access token tells its scope, client, user and times (${backend})`, async (t) => {
    const before = Math.floor(Date.now() / 1000)
    const { s, tokens, introspect } = await setup(t, backend)
    const res = await introspect(tokens.access_token)
    assert.equal(res.statusCode, 200)
    assert.equal(res.headers['cache-control'], 'no-store')
    const body = res.json()
    assert.deepEqual(Object.keys(body).sort(), ['active', 'client_id', 'exp', 'iat', 'scope', 'sub', 'token_type', 'username'])
    assert.equal(body.active, true)
    assert.equal(body.scope, 'read write')
    assert.equal(body.client_id, s.clientId)
    assert.equal(body.username, s.username)
    assert.equal(body.sub, s.user.id)
    assert.equal(body.token_type, 'Bearer')
    assert.ok(body.iat >= before && body.iat <= before + 5)
    assert.equal(body.exp, body.iat + 3600)
  })

  test(`revoked, unknown and malformed tokens are {"active":false} and nothing else (${backend})`, async (t) => {
    const { app, s, tokens, introspect } = await setup(t, backend)
    assert.equal((await post(app, '/oauth/revoke', { token: tokens.access_token, client_id: s.clientId })).statusCode, 200)
    for (const token of [tokens.access_token, 'A'.repeat(43), 'x']) {
      const res = await introspect(token)
      assert.equal(res.statusCode, 200)
      assert.deepEqual(res.json(), { active: false })
    }
  })
}

test('an expired access token is inactive', async (t) => {
  const { tokens, introspect } = await setup(t, 'memory', { accessTokenTtl: 1 })
  await new Promise((resolve) => setTimeout(resolve, 1100))
  assert.deepEqual((await introspect(tokens.access_token)).json(), { active: false })
})

test('a refresh token is active until used; then inactive', async (t) => {
  const { app, s, tokens, introspect } = await setup(t, 'real')
  const live = (await introspect(tokens.refresh_token, { token_type_hint: 'refresh_token' })).json()
  assert.equal(live.active, true)
  assert.equal(live.token_type, undefined)
  assert.equal(live.username, s.username)
  await postToken(app, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: s.clientId })
  assert.deepEqual((await introspect(tokens.refresh_token)).json(), { active: false })
})

test('a client_credentials token has the client as its subject and no username', async (t) => {
  const { app, rs, introspect } = await setup(t)
  const worker = await confidential(app, { scopes: ['jobs'] })
  const cc = (await postToken(app, { grant_type: 'client_credentials' }, basic(worker.clientId, worker.clientSecret))).json()
  const body = (await introspect(cc.access_token)).json()
  assert.equal(body.active, true)
  assert.equal(body.sub, worker.clientId)
  assert.equal(body.client_id, worker.clientId)
  assert.equal(body.username, undefined)
  assert.notEqual(body.client_id, rs.clientId)
})

test('only an authenticated confidential client may introspect', async (t) => {
  const { app, s, tokens, rs } = await setup(t)
  const publicClient = await post(app, '/oauth/introspect', { token: tokens.access_token, client_id: s.clientId })
  assert.equal(publicClient.statusCode, 401)
  assert.equal(publicClient.json().error, 'invalid_client')
  const anonymous = await post(app, '/oauth/introspect', { token: tokens.access_token })
  assert.equal(anonymous.statusCode, 401)
  const wrong = await post(app, '/oauth/introspect', { token: tokens.access_token }, basic(rs.clientId, 'wrong'))
  assert.equal(wrong.statusCode, 401)
  assert.equal(wrong.json().error, 'invalid_client')
  const body = await post(app, '/oauth/introspect', { token: tokens.access_token, client_id: rs.clientId, client_secret: rs.clientSecret })
  assert.equal(body.json().active, true)
})

test('introspection checks the hint and the parameters', async (t) => {
  const { tokens, introspect } = await setup(t)
  const hint = await introspect(tokens.access_token, { token_type_hint: 'saml' })
  assert.equal(hint.statusCode, 400)
  assert.equal(hint.json().error, 'unsupported_token_type')
  const big = await introspect('x'.repeat(600))
  assert.equal(big.statusCode, 400)
  assert.deepEqual(big.json(), { error: 'invalid_request', error_description: 'parameter token is too long' })
})
