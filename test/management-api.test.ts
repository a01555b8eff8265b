import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { FORM, MANAGER, MANAGER_AUTH, basic, bearer, build, csrfOf, form, postToken, type Backend } from './helpers.js'

const API = '/oauth/management/api'

/** An app with management on, and a recorder of every management response body. */
async function setup (t: TestContext, backend: Backend) {
  const app = await build(t, backend, { management: { ...MANAGER } })
  const bodies: string[] = []
  const call = async (opts: InjectOptions & { url: string }): Promise<LightMyRequestResponse> => {
    const res = await app.inject({ ...opts, headers: { ...MANAGER_AUTH, ...opts.headers } })
    bodies.push(res.body)
    return res
  }
  return { app, call, bodies }
}

async function passwordToken (app: FastifyInstance, clientId: string, username: string, password: string) {
  const res = await postToken(app, { grant_type: 'password', client_id: clientId, username, password })
  return { status: res.statusCode, body: res.json() as { access_token: string, refresh_token: string } }
}

for (const backend of ['memory', 'real'] as const) {
  describe(`management API (${backend})`, () => {
    test('a request without valid Basic credentials is refused with 401 and a Basic challenge', async (t) => {
      const app = await build(t, backend, { management: { ...MANAGER } })
      for (const headers of [{}, basic(MANAGER.username, 'wrong'), basic('someone', MANAGER.password), { authorization: 'Basic !!!' }]) {
        const res = await app.inject({ url: `${API}/users`, headers })
        assert.equal(res.statusCode, 401)
        assert.equal(res.headers['www-authenticate'], 'Basic realm="fastify-sentinel", charset="UTF-8"')
        assert.equal(res.json().error, 'unauthorized')
      }
      const ok = await app.inject({ url: `${API}/users`, headers: MANAGER_AUTH })
      assert.equal(ok.statusCode, 200)
    })

    test('users are created, read, listed by prefix and page, and deleted', async (t) => {
      const { call } = await setup(t, backend)
      const created = await call({ method: 'POST', url: `${API}/users`, payload: { username: 'alice', password: 'pw-alice' } })
      assert.equal(created.statusCode, 201)
      const alice = created.json()
      assert.deepEqual(Object.keys(alice).sort(), ['created_at', 'id', 'sessions', 'username'])
      assert.equal(alice.username, 'alice')
      assert.equal(alice.sessions, 0)
      for (const name of ['bob', 'albert', 'alfred']) {
        assert.equal((await call({ method: 'POST', url: `${API}/users`, payload: { username: name, password: 'pw' } })).statusCode, 201)
      }

      const got = await call({ url: `${API}/users/${alice.id}` })
      assert.equal(got.statusCode, 200)
      assert.deepEqual(got.json(), alice)

      const page1 = (await call({ url: `${API}/users?search=al&limit=2` })).json()
      assert.equal(page1.total, 3)
      assert.deepEqual(page1.items.map((u: { username: string }) => u.username), ['albert', 'alfred'])
      const page2 = (await call({ url: `${API}/users?search=al&limit=2&offset=2` })).json()
      assert.deepEqual(page2.items.map((u: { username: string }) => u.username), ['alice'])
      assert.equal((await call({ url: `${API}/users` })).json().total, 4)

      assert.equal((await call({ method: 'DELETE', url: `${API}/users/${alice.id}` })).statusCode, 204)
      assert.equal((await call({ url: `${API}/users/${alice.id}` })).statusCode, 404)
      const again = await call({ method: 'DELETE', url: `${API}/users/${alice.id}` })
      assert.equal(again.statusCode, 404)
      assert.deepEqual(again.json(), { error: 'not_found', error_description: 'user not found' })
    })

    test('bad user input answers 400 or 409 with a clear message, never 500', async (t) => {
      const { call } = await setup(t, backend)
      await call({ method: 'POST', url: `${API}/users`, payload: { username: 'carol', password: 'pw' } })
      const cases: Array<[unknown, number, string, RegExp]> = [
        [{ username: 'carol', password: 'other' }, 409, 'conflict', /username already exists/],
        [{ username: 'dave', password: '' }, 400, 'invalid_request', /password must not be empty/],
        [{ username: 'dave' }, 400, 'invalid_request', /missing field password/],
        [{ username: ' dave', password: 'pw' }, 400, 'invalid_request', /username must be/],
        [{ username: 'dave', password: 'x'.repeat(100) }, 400, 'invalid_request', /at most 72 bytes/],
        [{ username: { name: 'dave' }, password: 'pw' }, 400, 'invalid_request', /body.username must be string/],
        [[1, 2], 400, 'invalid_request', /body must be object/]
      ]
      for (const [payload, status, error, description] of cases) {
        const res = await call({ method: 'POST', url: `${API}/users`, payload: payload as object })
        assert.equal(res.statusCode, status, JSON.stringify(payload))
        assert.equal(res.json().error, error)
        assert.match(res.json().error_description, description)
      }
      const notJson = await call({ method: 'POST', url: `${API}/users`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'username=eve&password=pw' })
      assert.equal(notJson.statusCode, 415)
      assert.equal(notJson.json().error, 'invalid_request')
      const broken = await call({ method: 'POST', url: `${API}/users`, headers: { 'content-type': 'application/json' }, payload: '{"username":' })
      assert.equal(broken.statusCode, 400)
      const badQuery = await call({ url: `${API}/users?limit=0` })
      assert.equal(badQuery.statusCode, 400)
      assert.match(badQuery.json().error_description, /querystring\.limit must be >= 1/)
      assert.equal((await call({ url: `${API}/users?search=dave` })).json().total, 0, 'nothing was created by the refused requests')
    })

    test('setting a password works at the token endpoint at once and logs the user out', async (t) => {
      const { app, call } = await setup(t, backend)
      const user = (await call({ method: 'POST', url: `${API}/users`, payload: { username: 'erin', password: 'old-pw' } })).json()
      const client = (await call({ method: 'POST', url: `${API}/clients`, payload: { name: 'app' } })).json()
      const before = await passwordToken(app, client.client_id, 'erin', 'old-pw')
      assert.equal(before.status, 200)

      assert.equal((await call({ method: 'PUT', url: `${API}/users/${user.id}/password`, payload: { password: 'new-pw' } })).statusCode, 204)
      assert.equal((await passwordToken(app, client.client_id, 'erin', 'old-pw')).status, 400)
      assert.equal((await passwordToken(app, client.client_id, 'erin', 'new-pw')).status, 200)
      assert.equal((await app.inject({ url: '/endpoint', headers: bearer(before.body.access_token) })).statusCode, 401)

      const empty = await call({ method: 'PUT', url: `${API}/users/${user.id}/password`, payload: { password: '' } })
      assert.equal(empty.statusCode, 400)
      assert.match(empty.json().error_description, /password must not be empty/)
      assert.equal((await call({ method: 'PUT', url: `${API}/users/nobody/password`, payload: { password: 'x' } })).statusCode, 404)
    })

    test('sessions are listed per token family without tokens, and revoked together', async (t) => {
      const { app, call } = await setup(t, backend)
      const user = (await call({ method: 'POST', url: `${API}/users`, payload: { username: 'frank', password: 'pw' } })).json()
      const client = (await call({ method: 'POST', url: `${API}/clients`, payload: { name: 'app', scopes: 'read write' } })).json()
      const first = await passwordToken(app, client.client_id, 'frank', 'pw')
      const second = await passwordToken(app, client.client_id, 'frank', 'pw')
      // A rotation stays in its family: still two sessions.
      const refreshed = await postToken(app, { grant_type: 'refresh_token', client_id: client.client_id, refresh_token: first.body.refresh_token })
      assert.equal(refreshed.statusCode, 200)

      const list = await call({ url: `${API}/users/${user.id}/sessions` })
      assert.equal(list.statusCode, 200)
      const items = list.json().items
      assert.equal(items.length, 2)
      for (const s of items) {
        assert.deepEqual(Object.keys(s).sort(), ['client_id', 'created_at', 'expires_at', 'family_id', 'scope'])
        assert.equal(s.client_id, client.client_id)
        assert.equal(s.scope, 'read write')
        assert.ok(Date.parse(s.expires_at) > Date.now())
      }
      assert.equal((await call({ url: `${API}/users/${user.id}` })).json().sessions, 2)

      assert.equal((await call({ method: 'DELETE', url: `${API}/users/${user.id}/sessions` })).statusCode, 204)
      assert.deepEqual((await call({ url: `${API}/users/${user.id}/sessions` })).json(), { items: [] })
      assert.equal((await app.inject({ url: '/endpoint', headers: bearer(second.body.access_token) })).statusCode, 401)
      assert.equal((await app.inject({ url: '/endpoint', headers: bearer(refreshed.json().access_token) })).statusCode, 401)
      assert.equal((await call({ url: `${API}/users/nobody/sessions` })).statusCode, 404)
      assert.equal((await call({ method: 'DELETE', url: `${API}/users/nobody/sessions` })).statusCode, 404)
    })

    test('deleting a user revokes their tokens', async (t) => {
      const { app, call } = await setup(t, backend)
      const user = (await call({ method: 'POST', url: `${API}/users`, payload: { username: 'gina', password: 'pw' } })).json()
      const client = (await call({ method: 'POST', url: `${API}/clients`, payload: {} })).json()
      const token = await passwordToken(app, client.client_id, 'gina', 'pw')
      assert.equal((await app.inject({ url: '/endpoint', headers: bearer(token.body.access_token) })).statusCode, 200)
      assert.equal((await call({ method: 'DELETE', url: `${API}/users/${user.id}` })).statusCode, 204)
      assert.equal((await app.inject({ url: '/endpoint', headers: bearer(token.body.access_token) })).statusCode, 401)
    })

    test('clients are created (a secret shown once), read, listed, and deleted with their tokens', async (t) => {
      const { app, call } = await setup(t, backend)
      await call({ method: 'POST', url: `${API}/users`, payload: { username: 'hana', password: 'pw' } })
      const pub = await call({ method: 'POST', url: `${API}/clients`, payload: { name: 'mobile', client_id: 'app-mobile' } })
      assert.equal(pub.statusCode, 201)
      assert.deepEqual({ ...(pub.json() as object), created_at: undefined }, {
        client_id: 'app-mobile', name: 'mobile', client_type: 'public', allowed_grant_types: ['password', 'refresh_token'], scopes: [], created_at: undefined
      })
      const conf = await call({ method: 'POST', url: `${API}/clients`, payload: { name: 'backend', client_type: 'confidential', allowed_grant_types: ['password'], scopes: ['read'] } })
      assert.equal(conf.statusCode, 201)
      const secret = conf.json().client_secret as string
      assert.match(secret, /^[A-Za-z0-9_-]{43}$/)
      const confId = conf.json().client_id as string

      const got = await call({ url: `${API}/clients/${confId}` })
      assert.equal(got.statusCode, 200)
      assert.equal(got.json().client_secret, undefined)
      assert.deepEqual(got.json().scopes, ['read'])

      const token = await postToken(app, { grant_type: 'password', username: 'hana', password: 'pw' }, basic(confId, secret))
      assert.equal(token.statusCode, 200)

      const byName = (await call({ url: `${API}/clients?search=mob` })).json()
      assert.deepEqual(byName.items.map((c: { client_id: string }) => c.client_id), ['app-mobile'])
      assert.equal((await call({ url: `${API}/clients?search=app-` })).json().total, 1)
      assert.equal((await call({ url: `${API}/clients?limit=1` })).json().total, 2)

      assert.equal((await call({ method: 'DELETE', url: `${API}/clients/${confId}` })).statusCode, 204)
      assert.equal((await app.inject({ url: '/endpoint', headers: bearer(token.json().access_token) })).statusCode, 401)
      assert.equal((await call({ url: `${API}/clients/${confId}` })).statusCode, 404)
      assert.equal((await call({ method: 'DELETE', url: `${API}/clients/${confId}` })).statusCode, 404)
    })

    test('bad client input answers 400 or 409, never 500', async (t) => {
      const { call } = await setup(t, backend)
      await call({ method: 'POST', url: `${API}/clients`, payload: { client_id: 'taken' } })
      const cases: Array<[unknown, number, string, RegExp]> = [
        [{ client_id: 'taken' }, 409, 'conflict', /client_id already exists/],
        [{ allowed_grant_types: ['implicit'] }, 400, 'invalid_request', /unknown grant type: implicit/],
        [{ scopes: 'bad"scope' }, 400, 'invalid_scope', /scope/],
        [{ client_type: 'secret' }, 400, 'invalid_request', /client_type/],
        [{ client_id: 'has space' }, 400, 'invalid_request', /clientId must be/]
      ]
      for (const [payload, status, error, description] of cases) {
        const res = await call({ method: 'POST', url: `${API}/clients`, payload: payload as object })
        assert.equal(res.statusCode, status, JSON.stringify(payload))
        assert.equal(res.json().error, error)
        assert.match(res.json().error_description, description)
      }
      assert.equal((await call({ url: `${API}/clients` })).json().total, 1)
    })

    test('no management response ever carries a password hash, a secret hash or a token', async (t) => {
      const { app, call, bodies } = await setup(t, backend)
      const user = (await call({ method: 'POST', url: `${API}/users`, payload: { username: 'ivan', password: 'pw' } })).json()
      const conf = (await call({ method: 'POST', url: `${API}/clients`, payload: { client_type: 'confidential' } })).json()
      const createdClientBody = bodies.length - 1
      const tokens = (await postToken(app, { grant_type: 'password', username: 'ivan', password: 'pw' }, basic(conf.client_id, conf.client_secret))).json()
      const stored = await app.sentinel.store.findUserById(user.id)
      const storedClient = await app.sentinel.store.findClient(conf.client_id)

      await call({ url: `${API}/users` })
      await call({ url: `${API}/users/${user.id}` })
      await call({ url: `${API}/users/${user.id}/sessions` })
      await call({ url: `${API}/clients` })
      await call({ url: `${API}/clients/${conf.client_id}` })
      await call({ method: 'PUT', url: `${API}/users/${user.id}/password`, payload: { password: 'pw2' } })
      await call({ method: 'DELETE', url: `${API}/users/${user.id}/sessions` })
      const html = (await call({ url: '/oauth/management' })).body
      await call({ url: '/oauth/management?users_q=iv' })
      // The page's forms too: every answer of theirs, success or error.
      const post = (path: string, fields: Record<string, string>) => call({
        method: 'POST', url: `/oauth/management${path}`, headers: FORM, payload: form({ _csrf: csrfOf(html), ...fields })
      })
      await post('/users', { username: 'ivan', password: 'dup' })
      await post(`/users/${user.id}/password`, { password: '' })
      await post(`/users/${user.id}/password`, { password: 'pw3' })
      await post(`/users/${user.id}/revoke`, {})
      await post('/clients', { name: 'again', grant: 'password' })
      await post('/clients', { name: 'bad', grant: 'password', scopes: 'a"b' })

      const forbidden = [/hashpw/, /\$2[aby]\$/, /sha256:/, /secret_hash/, /secretHash/,
        new RegExp(stored?.hashpw.replace(/[$.*+?^{}()|[\]\\/]/g, '\\$&') as string),
        new RegExp(storedClient?.secretHash as string),
        new RegExp(tokens.access_token), new RegExp(tokens.refresh_token)]
      assert.ok(bodies.length >= 16)
      bodies.forEach((body, i) => {
        for (const pattern of forbidden) assert.doesNotMatch(body, pattern, `response ${i}`)
        if (i !== createdClientBody) assert.ok(!body.includes(conf.client_secret), `response ${i} repeats the client secret`)
      })
    })

    test('the API refuses plain HTTP with a JSON error when TLS is required', async (t) => {
      const app = await build(t, backend, { management: { ...MANAGER }, requireTls: true })
      const res = await app.inject({ url: `${API}/users`, headers: MANAGER_AUTH })
      assert.equal(res.statusCode, 400)
      assert.deepEqual(res.json(), { error: 'invalid_request', error_description: 'TLS required: use https' })
    })
  })
}

test('an unknown API route answers a JSON 404', async (t) => {
  const app = await build(t, 'memory', { management: { ...MANAGER } })
  const res = await app.inject({ url: `${API}/nothing`, headers: MANAGER_AUTH })
  assert.equal(res.statusCode, 404)
  assert.equal(res.json().error, 'not_found')
})

test('a failing store answers 503 or 500 without details', async (t) => {
  const app = await build(t, 'memory', { management: { ...MANAGER } })
  const store = app.sentinel.store
  store.listUsers = async () => { throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:27017'), { name: 'MongoNetworkError' }) }
  store.listClients = async () => { throw new Error('boom at line 42') }
  const down = await app.inject({ url: `${API}/users`, headers: MANAGER_AUTH })
  assert.equal(down.statusCode, 503)
  assert.equal(down.json().error, 'temporarily_unavailable')
  const broken = await app.inject({ url: `${API}/clients`, headers: MANAGER_AUTH })
  assert.equal(broken.statusCode, 500)
  assert.deepEqual(broken.json(), { error: 'server_error', error_description: 'internal error' })
  const page = await app.inject({ url: '/oauth/management', headers: MANAGER_AUTH })
  assert.ok(page.statusCode === 503 || page.statusCode === 500)
  assert.doesNotMatch(page.body, /ECONNREFUSED|boom|at line/)
})

test('a body without a content type, or too large, is refused with a clear 4xx', async (t) => {
  const app = await build(t, 'memory', { management: { ...MANAGER } })
  const untyped = await app.inject({ method: 'POST', url: `${API}/users`, headers: MANAGER_AUTH, payload: Buffer.from('{"username":"a","password":"b"}') })
  assert.equal(untyped.statusCode, 415)
  assert.equal(untyped.json().error_description, 'send application/json')
  const big = await app.inject({ method: 'POST', url: `${API}/users`, headers: { ...MANAGER_AUTH, 'content-type': 'application/json' }, payload: JSON.stringify({ username: 'a', password: 'x'.repeat(1_100_000) }) })
  assert.equal(big.statusCode, 413)
  assert.equal(big.json().error_description, 'the request body is too large')
  assert.equal((await app.inject({ url: `${API}/users`, headers: MANAGER_AUTH })).json().total, 0)
})
