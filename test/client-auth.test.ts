import assert from 'node:assert/strict'
import { test } from 'node:test'
import { build, postToken, seed } from './helpers.js'
import { basic, confidential } from './standards-helpers.js'

test('a confidential client authenticates with HTTP Basic, id and secret form-urlencoded before base64', async (t) => {
  const app = await build(t, 'memory')
  await app.sentinel.admin.createUser('jonas', 'pass')
  // Characters that form-encoding changes: the server must decode them.
  const { clientSecret } = await confidential(app, { clientId: 'app:1+x%' })
  const res = await postToken(app, { grant_type: 'password', username: 'jonas', password: 'pass' }, basic('app:1+x%', clientSecret))
  assert.equal(res.statusCode, 200)
  assert.equal(typeof res.json().access_token, 'string')
})

test('a confidential client authenticates with client_secret in the body', async (t) => {
  const app = await build(t, 'memory')
  await app.sentinel.admin.createUser('jonas', 'pass')
  const { clientId, clientSecret } = await confidential(app)
  const res = await postToken(app, { grant_type: 'password', username: 'jonas', password: 'pass', client_id: clientId, client_secret: clientSecret })
  assert.equal(res.statusCode, 200)
})

test('Basic and a body secret at once is invalid_client', async (t) => {
  const app = await build(t, 'memory')
  await app.sentinel.admin.createUser('jonas', 'pass')
  const { clientId, clientSecret } = await confidential(app)
  const res = await postToken(app, { grant_type: 'password', username: 'jonas', password: 'pass', client_secret: clientSecret }, basic(clientId, clientSecret))
  assert.equal(res.statusCode, 401)
  assert.equal(res.json().error, 'invalid_client')
  assert.match(res.headers['www-authenticate'] as string, /^Basic realm="fastify-sentinel"/)
})

test('a confidential client without its secret is invalid_client, 401 (no Basic challenge: it did not try Basic)', async (t) => {
  const app = await build(t, 'memory')
  await app.sentinel.admin.createUser('jonas', 'pass')
  const { clientId } = await confidential(app)
  const res = await postToken(app, { grant_type: 'password', username: 'jonas', password: 'pass', client_id: clientId })
  assert.equal(res.statusCode, 401)
  assert.equal(res.json().error, 'invalid_client')
  assert.equal(res.headers['www-authenticate'], undefined)
})

test('a wrong secret by Basic answers 401 invalid_client with WWW-Authenticate: Basic', async (t) => {
  const app = await build(t, 'real')
  await app.sentinel.admin.createUser('jonas', 'pass')
  const { clientId } = await confidential(app)
  const res = await postToken(app, { grant_type: 'password', username: 'jonas', password: 'pass' }, basic(clientId, 'wrong'))
  assert.equal(res.statusCode, 401)
  assert.deepEqual(Object.keys(res.json()).sort(), ['error', 'error_description'])
  assert.equal(res.json().error, 'invalid_client')
  assert.equal(res.headers['www-authenticate'], 'Basic realm="fastify-sentinel", charset="UTF-8"')
})

test('a malformed Basic header is invalid_client', async (t) => {
  const app = await build(t, 'memory')
  const res = await postToken(app, { grant_type: 'password', username: 'jonas', password: 'pass' }, { authorization: 'Basic %%%' })
  assert.equal(res.statusCode, 401)
  assert.equal(res.json().error, 'invalid_client')
})

test('client credentials in the query string are refused with invalid_request', async (t) => {
  const app = await build(t, 'memory')
  const { username, password } = await seed(app)
  const { clientId, clientSecret } = await confidential(app)
  for (const query of [`client_secret=${clientSecret}`, `client_id=${clientId}`]) {
    const res = await app.inject({
      method: 'POST',
      url: `/oauth/token?${query}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ grant_type: 'password', username, password, client_id: clientId, client_secret: clientSecret }).toString()
    })
    assert.equal(res.statusCode, 400, query)
    assert.equal(res.json().error, 'invalid_request')
    assert.match(res.json().error_description, /never in the URI/)
  }
})

test('a public client sending a secret is invalid_client', async (t) => {
  const app = await build(t, 'memory')
  const { clientId, username, password } = await seed(app)
  const res = await postToken(app, { grant_type: 'password', username, password, client_id: clientId, client_secret: 'x' })
  assert.equal(res.statusCode, 401)
  assert.equal(res.json().error, 'invalid_client')
})
