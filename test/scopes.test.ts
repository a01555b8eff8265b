import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import Fastify from 'fastify'
import sentinel from '../lib/index.js'
import { bearer, build, postToken, seed } from './helpers.js'

test('an omitted scope grants the client\'s default scopes and the response says which', async (t) => {
  const app = await build(t, 'memory')
  const { clientId, username, password } = await seed(app, { scopes: ['read', 'write'] })
  const res = await postToken(app, { grant_type: 'password', username, password, client_id: clientId })
  assert.equal(res.statusCode, 200)
  assert.equal(res.json().scope, 'read write')
})

test('a requested subset is granted as asked', async (t) => {
  const app = await build(t, 'real')
  const { clientId, username, password } = await seed(app, { scopes: ['read', 'write'] })
  const res = await postToken(app, { grant_type: 'password', username, password, client_id: clientId, scope: 'read' })
  assert.equal(res.statusCode, 200)
  assert.equal(res.json().scope, 'read')
  const me = await app.inject({ method: 'POST', url: '/endpoint', headers: bearer(res.json().access_token) })
  assert.deepEqual(me.json().scopes, ['read'])
})

test('a scope outside the client\'s list is invalid_scope', async (t) => {
  const app = await build(t, 'memory')
  const { clientId, username, password } = await seed(app, { scopes: ['read'] })
  const res = await postToken(app, { grant_type: 'password', username, password, client_id: clientId, scope: 'read admin' })
  assert.equal(res.statusCode, 400)
  assert.equal(res.json().error, 'invalid_scope')
  assert.match(res.json().error_description, /admin/)
})

test('a malformed scope is invalid_scope', async (t) => {
  const app = await build(t, 'memory')
  const { clientId, username, password } = await seed(app, { scopes: ['read'] })
  const res = await postToken(app, { grant_type: 'password', username, password, client_id: clientId, scope: 'read  "x"' })
  assert.equal(res.statusCode, 400)
  assert.equal(res.json().error, 'invalid_scope')
})

async function withScopedRoutes (t: TestContext, scopes: string[]) {
  const host = Fastify()
  await host.register(sentinel, { bcryptCost: 4, sweepInterval: 0, requireTls: false })
  host.get('/notes', { preHandler: host.sentinel.requireScopes('read') }, async (request) => ({ user: request.oauth?.userId }))
  host.post('/notes', { preHandler: host.sentinel.requireScopes('read', 'write') }, async () => ({ ok: true }))
  t.after(() => host.close())
  await host.ready()
  const { clientId, username, password } = await seed(host, { scopes })
  const token = (await postToken(host, { grant_type: 'password', username, password, client_id: clientId })).json().access_token as string
  return { host, token }
}

test('requireScopes admits a token with every named scope', async (t) => {
  const { host, token } = await withScopedRoutes(t, ['read', 'write'])
  const get = await host.inject({ method: 'GET', url: '/notes', headers: bearer(token) })
  assert.equal(get.statusCode, 200)
  const post = await host.inject({ method: 'POST', url: '/notes', headers: bearer(token) })
  assert.equal(post.statusCode, 200)
  assert.deepEqual(post.json(), { ok: true })
})

test('requireScopes answers 403 insufficient_scope naming the scopes needed (RFC 6750 section 3.1)', async (t) => {
  const { host, token } = await withScopedRoutes(t, ['read'])
  assert.equal((await host.inject({ method: 'GET', url: '/notes', headers: bearer(token) })).statusCode, 200)
  const res = await host.inject({ method: 'POST', url: '/notes', headers: bearer(token) })
  assert.equal(res.statusCode, 403)
  assert.equal(res.json().error, 'insufficient_scope')
  assert.equal(res.headers['www-authenticate'], 'Bearer realm="fastify-sentinel", error="insufficient_scope", error_description="the access token lacks a required scope", scope="read write"')
})

test('requireScopes still answers 401 without a token or with a bad one', async (t) => {
  const { host } = await withScopedRoutes(t, ['read'])
  const none = await host.inject({ method: 'GET', url: '/notes' })
  assert.equal(none.statusCode, 401)
  assert.equal(none.headers['www-authenticate'], 'Bearer realm="fastify-sentinel"')
  const bad = await host.inject({ method: 'GET', url: '/notes', headers: bearer('A'.repeat(43)) })
  assert.equal(bad.statusCode, 401)
  assert.match(bad.headers['www-authenticate'] as string, /error="invalid_token"/)
})

test('requireScopes refuses to be built without scopes or with a malformed one', async (t) => {
  const app = await build(t, 'memory')
  assert.throws(() => app.sentinel.requireScopes(), /one or more scope tokens/)
  assert.throws(() => app.sentinel.requireScopes('a b'), /one or more scope tokens/)
})
