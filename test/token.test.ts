import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { build, FORM, postToken, seed, bearer, type Backend } from './helpers.js'

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/

for (const backend of ['memory', 'real'] as Backend[]) {
  describe(`token endpoint (${backend})`, () => {
    test('the password grant answers an RFC 6749 section 5.1 token response that must not be cached', async (t) => {
      const app = await build(t, backend)
      const { clientId, username, password } = await seed(app)
      const res = await postToken(app, { client_id: clientId, grant_type: 'password', username, password })
      assert.equal(res.statusCode, 200)
      assert.equal(res.headers['cache-control'], 'no-store')
      assert.equal(res.headers.pragma, 'no-cache')
      assert.match(String(res.headers['content-type']), /^application\/json/)
      const body = res.json()
      assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type'])
      assert.match(body.access_token, TOKEN_SHAPE)
      assert.match(body.refresh_token, TOKEN_SHAPE)
      assert.notEqual(body.access_token, body.refresh_token)
      assert.equal(body.token_type, 'Bearer')
      assert.equal(body.expires_in, 3600)
      assert.equal(body.scope, '')
      const call = await app.inject({ url: '/endpoint', headers: bearer(body.access_token) })
      assert.equal(call.statusCode, 200)
      assert.equal(call.body, 'You made it through and accessed the protected resource!')
    })

    test('JSON bodies are accepted as well as form bodies', async (t) => {
      const app = await build(t, backend)
      const { clientId, username, password } = await seed(app)
      const res = await app.inject({ method: 'POST', url: '/oauth/token', payload: { client_id: clientId, grant_type: 'password', username, password } })
      assert.equal(res.statusCode, 200)
      assert.equal(res.json().token_type, 'Bearer')
    })

    test('a user may hold several sessions with one client at once', async (t) => {
      const app = await build(t, backend)
      const { clientId, username, password } = await seed(app)
      const first = (await postToken(app, { client_id: clientId, grant_type: 'password', username, password })).json()
      const second = (await postToken(app, { client_id: clientId, grant_type: 'password', username, password })).json()
      assert.notEqual(first.access_token, second.access_token)
      for (const token of [first.access_token, second.access_token]) {
        assert.equal((await app.inject({ url: '/endpoint', headers: bearer(token) })).statusCode, 200)
      }
    })

    test('a wrong password and an unknown username get the same invalid_grant answer', async (t) => {
      const app = await build(t, backend)
      const { clientId, username } = await seed(app)
      const wrong = await postToken(app, { client_id: clientId, grant_type: 'password', username, password: 'nope' })
      const unknown = await postToken(app, { client_id: clientId, grant_type: 'password', username: 'nobody', password: 'nope' })
      for (const res of [wrong, unknown]) {
        assert.equal(res.statusCode, 400)
        assert.equal(res.headers['cache-control'], 'no-store')
        assert.deepEqual(res.json(), { error: 'invalid_grant', error_description: 'invalid username or password' })
      }
      assert.deepEqual(wrong.headers['content-length'], unknown.headers['content-length'])
    })

    test('an unknown client is invalid_client with 401', async (t) => {
      const app = await build(t, backend)
      const { username, password } = await seed(app)
      const res = await postToken(app, { client_id: 'no-such-client', grant_type: 'password', username, password })
      assert.equal(res.statusCode, 401)
      assert.equal(res.json().error, 'invalid_client')
      assert.equal(res.headers['www-authenticate'], undefined)
    })

    test('an unknown client that used the Authorization header gets a Basic challenge', async (t) => {
      const app = await build(t, backend)
      const { username, password } = await seed(app)
      const basic = 'Basic ' + Buffer.from('no-such-client:').toString('base64')
      const res = await postToken(app, { grant_type: 'password', username, password }, { authorization: basic })
      assert.equal(res.statusCode, 401)
      assert.equal(res.json().error, 'invalid_client')
      assert.equal(res.headers['www-authenticate'], 'Basic realm="fastify-sentinel", charset="UTF-8"')
    })

    test('a public client may authenticate by HTTP Basic with an empty secret', async (t) => {
      const app = await build(t, backend)
      const { clientId, username, password } = await seed(app)
      const basic = 'Basic ' + Buffer.from(encodeURIComponent(clientId) + ':').toString('base64')
      const res = await postToken(app, { grant_type: 'password', username, password }, { authorization: basic })
      assert.equal(res.statusCode, 200)
    })

    test('a client that is not allowed a grant gets unauthorized_client', async (t) => {
      const app = await build(t, backend)
      const { username, password } = await seed(app)
      const { client } = await app.sentinel.admin.createClient({ allowedGrantTypes: ['refresh_token'] })
      const res = await postToken(app, { client_id: client.clientId, grant_type: 'password', username, password })
      assert.equal(res.statusCode, 400)
      assert.equal(res.json().error, 'unauthorized_client')
    })
  })
}

describe('token endpoint request checks', () => {
  test('an unknown grant_type is unsupported_grant_type', async (t) => {
    const app = await build(t, 'memory')
    const { clientId } = await seed(app)
    const res = await postToken(app, { client_id: clientId, grant_type: 'authorization_code', code: 'x' })
    assert.equal(res.statusCode, 400)
    assert.deepEqual(res.json(), { error: 'unsupported_grant_type', error_description: 'grant_type authorization_code is not supported' })
  })

  const invalid: Array<[string, string, string]> = [
    ['a missing grant_type', 'client_id=c&username=u&password=p', 'missing parameter: grant_type'],
    ['an empty grant_type', 'grant_type=&client_id=c', 'missing parameter: grant_type'],
    ['a missing password', 'grant_type=password&client_id=c&username=u', 'missing parameter: password'],
    ['an empty password', 'grant_type=password&client_id=c&username=u&password=', 'missing parameter: password'],
    ['a missing refresh_token', 'grant_type=refresh_token&client_id=c', 'missing parameter: refresh_token'],
    ['a repeated username', 'grant_type=password&client_id=c&username=u&username=v&password=p', 'parameter username must be given once, as a string'],
    ['a repeated grant_type', 'grant_type=password&grant_type=password&client_id=c&username=u&password=p', 'parameter grant_type must be given once, as a string'],
    ['an oversized password', `grant_type=password&client_id=c&username=u&password=${'x'.repeat(2000)}`, 'parameter password is too long']
  ]
  for (const [what, payload, description] of invalid) {
    test(`${what} is invalid_request`, async (t) => {
      const app = await build(t, 'memory')
      const res = await app.inject({ method: 'POST', url: '/oauth/token', headers: FORM, payload })
      assert.equal(res.statusCode, 400)
      assert.deepEqual(res.json(), { error: 'invalid_request', error_description: description })
      assert.equal(res.headers['cache-control'], 'no-store')
    })
  }

  test('a missing client_id is invalid_client', async (t) => {
    const app = await build(t, 'memory')
    const res = await postToken(app, { grant_type: 'password', username: 'u', password: 'p' })
    assert.equal(res.statusCode, 401)
    assert.deepEqual(res.json(), { error: 'invalid_client', error_description: 'client authentication is required: send client_id' })
  })

  test('bodies that are not form parameters or JSON get an RFC-shaped error, not a 500', async (t) => {
    const app = await build(t, 'memory')
    const cases = [
      { headers: { 'content-type': 'application/json' }, payload: '{"grant_type":', status: 400, description: 'the request body is not valid JSON' },
      { headers: { 'content-type': 'application/xml' }, payload: '<a/>', status: 415, description: 'send parameters as application/x-www-form-urlencoded' },
      { headers: { 'content-type': 'text/plain' }, payload: 'grant_type=password', status: 400, description: 'the request body must be form parameters' },
      { headers: { 'content-type': 'application/json' }, payload: '["grant_type"]', status: 400, description: 'the request body must be form parameters' },
      { headers: FORM, payload: 'x'.repeat(20_000), status: 413, description: 'the request body is too large' }
    ]
    for (const c of cases) {
      const res = await app.inject({ method: 'POST', url: '/oauth/token', headers: c.headers, payload: c.payload })
      assert.equal(res.statusCode, c.status, c.payload.slice(0, 20))
      assert.deepEqual(res.json(), { error: 'invalid_request', error_description: c.description })
    }
  })

  test('a malformed Basic header is invalid_client with a Basic challenge', async (t) => {
    const app = await build(t, 'memory')
    for (const authorization of ['Basic !!!', 'Basic ' + Buffer.from('no-colon').toString('base64'), 'Basic ' + Buffer.from('%E0%A4%A:x').toString('base64')]) {
      const res = await postToken(app, { grant_type: 'password', username: 'u', password: 'p' }, { authorization })
      assert.equal(res.statusCode, 401)
      assert.equal(res.json().error, 'invalid_client')
      assert.match(String(res.headers['www-authenticate']), /^Basic realm=/)
    }
  })

  test('a public client that sends a secret is refused', async (t) => {
    const app = await build(t, 'memory')
    const { clientId, username, password } = await seed(app)
    const res = await postToken(app, { client_id: clientId, client_secret: 'guess', grant_type: 'password', username, password })
    assert.equal(res.statusCode, 401)
    assert.deepEqual(res.json(), { error: 'invalid_client', error_description: 'a public client has no secret' })
  })

  test('a confidential client authenticates with its secret, by Basic or in the body, never both', async (t) => {
    const app = await build(t, 'memory')
    const { username, password } = await seed(app)
    const { client, clientSecret } = await app.sentinel.admin.createClient({ clientType: 'confidential' })
    const id = client.clientId
    const secret = clientSecret as string
    const basic = (s: string) => 'Basic ' + Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(s)}`).toString('base64')
    assert.equal((await postToken(app, { grant_type: 'password', username, password }, { authorization: basic(secret) })).statusCode, 200)
    assert.equal((await postToken(app, { client_id: id, client_secret: secret, grant_type: 'password', username, password })).statusCode, 200)
    const wrong = await postToken(app, { grant_type: 'password', username, password }, { authorization: basic('wrong') })
    assert.equal(wrong.statusCode, 401)
    assert.match(String(wrong.headers['www-authenticate']), /^Basic /)
    const none = await postToken(app, { client_id: id, grant_type: 'password', username, password })
    assert.equal(none.statusCode, 401)
    assert.equal(none.headers['www-authenticate'], undefined)
    const both = await postToken(app, { client_secret: secret, grant_type: 'password', username, password }, { authorization: basic(secret) })
    assert.equal(both.statusCode, 401)
    assert.equal(both.json().error_description, 'use one client authentication method, not two (RFC 6749 section 2.3)')
    const other = await postToken(app, { client_id: 'someone-else', grant_type: 'password', username, password }, { authorization: basic(secret) })
    assert.equal(other.statusCode, 401)
  })

  test('scope: omitted gives the client\'s scopes, a subset is granted, anything outside is invalid_scope', async (t) => {
    const app = await build(t, 'memory')
    const { clientId, username, password } = await seed(app, { scopes: ['read', 'write'] })
    const all = (await postToken(app, { client_id: clientId, grant_type: 'password', username, password })).json()
    assert.equal(all.scope, 'read write')
    const some = (await postToken(app, { client_id: clientId, grant_type: 'password', username, password, scope: 'read' })).json()
    assert.equal(some.scope, 'read')
    const outside = await postToken(app, { client_id: clientId, grant_type: 'password', username, password, scope: 'read admin' })
    assert.equal(outside.statusCode, 400)
    assert.deepEqual(outside.json(), { error: 'invalid_scope', error_description: 'scope not allowed: admin' })
    const malformed = await postToken(app, { client_id: clientId, grant_type: 'password', username, password, scope: 'read  write' })
    assert.equal(malformed.statusCode, 400)
    assert.equal(malformed.json().error, 'invalid_scope')
  })

  test('plain HTTP is refused when TLS is required, and a trusted proxy that terminated TLS is believed', async (t) => {
    const app = await build(t, 'memory', { requireTls: true })
    const { clientId, username, password } = await seed(app)
    const plain = await postToken(app, { client_id: clientId, grant_type: 'password', username, password })
    assert.equal(plain.statusCode, 400)
    assert.deepEqual(plain.json(), { error: 'invalid_request', error_description: 'TLS required: use https' })
    // Without trustProxy, X-Forwarded-Proto is ignored.
    const spoofed = await postToken(app, { client_id: clientId, grant_type: 'password', username, password }, { 'x-forwarded-proto': 'https' })
    assert.equal(spoofed.statusCode, 400)
  })

  test('error responses carry error_uri when errorUri is set', async (t) => {
    const app = await build(t, 'memory', { errorUri: 'https://example.com/oauth/errors' })
    const res = await postToken(app, { grant_type: 'nope' })
    assert.deepEqual(res.json(), { error: 'unsupported_grant_type', error_description: 'grant_type nope is not supported', error_uri: 'https://example.com/oauth/errors' })
  })

  test('the token route can be disabled and moved under another prefix', async (t) => {
    const off = await build(t, 'memory', { tokenUrl: false })
    assert.equal((await off.inject({ method: 'POST', url: '/oauth/token', payload: {} })).statusCode, 404)
    const moved = await build(t, 'memory', { routePrefix: '/auth', tokenUrl: '/issue' })
    const res = await moved.inject({ method: 'POST', url: '/auth/issue', payload: { grant_type: 'x' } })
    assert.equal(res.json().error, 'unsupported_grant_type')
  })
})
