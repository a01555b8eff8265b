import assert from 'node:assert/strict'
import { test } from 'node:test'
import { bearer, build, postToken, seed } from './helpers.js'
import { basic, confidential } from './standards-helpers.js'

for (const backend of ['memory', 'real'] as const) {
  test(`client_credentials gives a confidential client an access token and no refresh token (${backend})`, async (t) => {
    const app = await build(t, backend)
    const { clientId, clientSecret } = await confidential(app, { scopes: ['reports'] })
    const res = await postToken(app, { grant_type: 'client_credentials' }, basic(clientId, clientSecret))
    assert.equal(res.statusCode, 200)
    const body = res.json()
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'scope', 'token_type'])
    assert.equal(body.scope, 'reports')
    assert.equal(res.headers['cache-control'], 'no-store')
    // verify admits it, with no user: the client acts for itself.
    const me = await app.inject({ method: 'POST', url: '/endpoint', headers: bearer(body.access_token) })
    assert.equal(me.statusCode, 200)
    assert.equal(me.json().userId, null)
    assert.equal(me.json().clientId, clientId)
    // Twice: the second read comes from the Redis mirror on 'real'.
    const again = await app.inject({ method: 'POST', url: '/endpoint', headers: bearer(body.access_token) })
    assert.equal(again.json().userId, null)
  })
}

test('client_credentials narrows to a requested scope and refuses one outside the client\'s list', async (t) => {
  const app = await build(t, 'memory')
  const { clientId, clientSecret } = await confidential(app, { scopes: ['a', 'b'] })
  const ok = await postToken(app, { grant_type: 'client_credentials', scope: 'b', client_id: clientId, client_secret: clientSecret })
  assert.equal(ok.json().scope, 'b')
  const bad = await postToken(app, { grant_type: 'client_credentials', scope: 'c', client_id: clientId, client_secret: clientSecret })
  assert.equal(bad.statusCode, 400)
  assert.equal(bad.json().error, 'invalid_scope')
})

test('a public client is refused client_credentials with unauthorized_client', async (t) => {
  const app = await build(t, 'memory')
  const { clientId } = await seed(app)
  const res = await postToken(app, { grant_type: 'client_credentials', client_id: clientId })
  assert.equal(res.statusCode, 400)
  assert.equal(res.json().error, 'unauthorized_client')
})

test('a public client that somehow lists client_credentials is still refused', async (t) => {
  const app = await build(t, 'memory')
  // A record written around Admin (a migration, another tool): the token endpoint still checks.
  const client = await app.sentinel.store.createClient({ clientId: 'legacy', clientType: 'public', allowedGrantTypes: ['client_credentials'], scopes: [] })
  const res = await postToken(app, { grant_type: 'client_credentials', client_id: client.clientId })
  assert.equal(res.statusCode, 400)
  assert.equal(res.json().error, 'unauthorized_client')
  assert.match(res.json().error_description, /confidential clients only/)
})

test('a confidential client not allowed client_credentials is unauthorized_client', async (t) => {
  const app = await build(t, 'memory')
  const { clientId, clientSecret } = await confidential(app, { allowedGrantTypes: ['password'] })
  const res = await postToken(app, { grant_type: 'client_credentials' }, basic(clientId, clientSecret))
  assert.equal(res.statusCode, 400)
  assert.equal(res.json().error, 'unauthorized_client')
})

test('Admin gives client_credentials to confidential clients only, and not by default', async (t) => {
  const app = await build(t, 'memory')
  await assert.rejects(app.sentinel.admin.createClient({ clientType: 'public', allowedGrantTypes: ['client_credentials'] }), /confidential clients only/)
  const { client } = await app.sentinel.admin.createClient({ clientType: 'confidential' })
  assert.deepEqual(client.allowedGrantTypes, ['password', 'refresh_token'])
  const { client: cc } = await app.sentinel.admin.createClient({ clientType: 'confidential', allowedGrantTypes: ['client_credentials'] })
  assert.deepEqual(cc.allowedGrantTypes, ['client_credentials'])
})
