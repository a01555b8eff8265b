import assert from 'node:assert/strict'
import { test } from 'node:test'
import { build } from './helpers.js'

test('the metadata document lists endpoints, grants, auth methods and scopes (RFC 8414)', async (t) => {
  const app = await build(t, 'memory', { issuer: 'https://auth.example.com/', scopesSupported: ['read', 'write'] })
  const res = await app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })
  assert.equal(res.statusCode, 200)
  assert.match(res.headers['content-type'] as string, /^application\/json/)
  assert.equal(res.headers['cache-control'], 'public, max-age=3600')
  assert.deepEqual(res.json(), {
    issuer: 'https://auth.example.com',
    token_endpoint: 'https://auth.example.com/oauth/token',
    revocation_endpoint: 'https://auth.example.com/oauth/revoke',
    introspection_endpoint: 'https://auth.example.com/oauth/introspect',
    grant_types_supported: ['password', 'refresh_token', 'client_credentials'],
    response_types_supported: [],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    scopes_supported: ['read', 'write']
  })
})

test('without the issuer option, the issuer is the request\'s scheme and host; disabled parts are left out', async (t) => {
  const app = await build(t, 'memory', { routePrefix: '/auth', revokeUrl: false, introspectUrl: false, grants: ['client_credentials'] })
  const res = await app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server', headers: { host: 'id.example.org' } })
  const body = res.json()
  assert.equal(res.headers['cache-control'], 'no-store')
  assert.equal(body.issuer, 'http://id.example.org')
  assert.equal(body.token_endpoint, 'http://id.example.org/auth/token')
  assert.equal(body.revocation_endpoint, undefined)
  assert.equal(body.introspection_endpoint, undefined)
  assert.equal(body.revocation_endpoint_auth_methods_supported, undefined)
  assert.equal(body.scopes_supported, undefined)
  assert.deepEqual(body.grant_types_supported, ['client_credentials'])
})

test('the metadata document sits at the root, not under the prefix, and metadata: false removes it', async (t) => {
  const app = await build(t, 'memory')
  assert.equal((await app.inject({ method: 'GET', url: '/oauth/.well-known/oauth-authorization-server' })).statusCode, 404)
  const off = await build(t, 'memory', { metadata: false })
  assert.equal((await off.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })).statusCode, 404)
})

test('an issuer with a path serves the document at the well-known URI with that path appended (RFC 8414 section 3.1)', async (t) => {
  const app = await build(t, 'memory', { issuer: 'https://example.com/tenant1' })
  const res = await app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server/tenant1' })
  assert.equal(res.statusCode, 200)
  assert.equal(res.json().issuer, 'https://example.com/tenant1')
  assert.equal(res.json().token_endpoint, 'https://example.com/tenant1/oauth/token')
})
