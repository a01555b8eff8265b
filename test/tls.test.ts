import assert from 'node:assert/strict'
import { test } from 'node:test'
import { seed } from './helpers.js'
import { buildWith, post } from './standards-helpers.js'

const ROUTES = ['/oauth/token', '/oauth/revoke', '/oauth/introspect']

test('by default the token, revocation and introspection endpoints refuse plain HTTP', async (t) => {
  const app = await buildWith(t, 'memory', { requireTls: true })
  for (const url of ROUTES) {
    const res = await post(app, url, { grant_type: 'password', token: 'x' })
    assert.equal(res.statusCode, 400, url)
    assert.deepEqual(res.json(), { error: 'invalid_request', error_description: 'TLS required: use https' })
    assert.equal(res.headers['cache-control'], 'no-store')
  }
})

test('behind a trusted proxy that terminated TLS (X-Forwarded-Proto: https) they answer', async (t) => {
  const app = await buildWith(t, 'memory', { requireTls: true }, { trustProxy: true })
  const { clientId, username, password } = await seed(app)
  const https = { 'x-forwarded-proto': 'https' }
  const token = await post(app, '/oauth/token', { grant_type: 'password', username, password, client_id: clientId }, https)
  assert.equal(token.statusCode, 200)
  const revoke = await post(app, '/oauth/revoke', { token: token.json().access_token, client_id: clientId }, https)
  assert.equal(revoke.statusCode, 200)
  const introspect = await post(app, '/oauth/introspect', { token: 'x', client_id: clientId }, https)
  assert.equal(introspect.json().error, 'invalid_client')
  // The same proxy forwarding plain HTTP is refused.
  const plain = await post(app, '/oauth/token', { grant_type: 'password', username, password, client_id: clientId }, { 'x-forwarded-proto': 'http' })
  assert.equal(plain.json().error_description, 'TLS required: use https')
})

test('X-Forwarded-Proto from an untrusted client is ignored', async (t) => {
  const app = await buildWith(t, 'memory', { requireTls: true })
  for (const url of ROUTES) {
    const res = await post(app, url, { token: 'x' }, { 'x-forwarded-proto': 'https' })
    assert.equal(res.statusCode, 400, url)
    assert.equal(res.json().error_description, 'TLS required: use https')
  }
})
