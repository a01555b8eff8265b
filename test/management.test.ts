import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { describe, test, type TestContext } from 'node:test'
import Fastify, { type FastifyInstance } from 'fastify'
import sentinel, { type SentinelOptions } from '../lib/index.js'
import { Signer } from '../lib/csrf.js'
import { FORM, MANAGER, MANAGER_AUTH, basic, bearer, build, csrfOf, form, postToken, type Backend } from './helpers.js'

const PAGE = '/oauth/management'

async function page (app: FastifyInstance, query = ''): Promise<string> {
  const res = await app.inject({ url: PAGE + query, headers: MANAGER_AUTH })
  assert.equal(res.statusCode, 200)
  return res.body
}

/** Posts a form of the page, with the page's own CSRF token unless one is given. */
async function submit (app: FastifyInstance, path: string, fields: Record<string, string>, csrf?: string) {
  const token = csrf ?? csrfOf(await page(app))
  return app.inject({ method: 'POST', url: PAGE + path, headers: { ...MANAGER_AUTH, ...FORM }, payload: form({ _csrf: token, ...fields }) })
}

/** Follows a Post/Redirect/Get answer and returns the page it leads to. */
async function follow (app: FastifyInstance, res: { statusCode: number, headers: Record<string, unknown> }): Promise<string> {
  assert.equal(res.statusCode, 303)
  const location = res.headers.location as string
  assert.ok(location.startsWith(`${PAGE}?flash=`))
  return page(app, location.slice(PAGE.length))
}

function flashOf (html: string): string | null {
  const match = /<p class="flash[^"]*"[^>]*>([^<]*)<\/p>/.exec(html)
  return match === null ? null : match[1] as string
}

/** An app whose log lines are kept, to assert on warnings. */
async function withLogs (t: TestContext, opts: SentinelOptions) {
  const lines: Array<{ level: number, msg: string }> = []
  const stream = new Writable({ write (chunk, _enc, cb) { lines.push(JSON.parse(String(chunk))); cb() } })
  const app = Fastify({ logger: { level: 'warn', stream } })
  await app.register(sentinel, { bcryptCost: 4, sweepInterval: 0, requireTls: false, ...opts })
  t.after(() => app.close())
  await app.ready()
  return { app, lines }
}

describe('management options and access', () => {
  test('without credentials the routes are off and one warning says how to enable them', async (t) => {
    const { app, lines } = await withLogs(t, {})
    assert.equal((await app.inject({ url: PAGE })).statusCode, 404)
    assert.equal((await app.inject({ url: `${PAGE}/api/users` })).statusCode, 404)
    const warnings = lines.filter((l) => /management/.test(l.msg))
    assert.equal(warnings.length, 1)
    assert.match(warnings[0]?.msg as string, /SENTINEL_MANAGEMENT_USERNAME/)
  })

  test('managementUrl false turns the routes off without a warning', async (t) => {
    const { app, lines } = await withLogs(t, { managementUrl: false, management: { ...MANAGER } })
    assert.equal((await app.inject({ url: PAGE, headers: MANAGER_AUTH })).statusCode, 404)
    assert.equal(lines.length, 0)
  })

  test('insecureNoAuth serves the page without credentials, with a loud warning', async (t) => {
    const { app, lines } = await withLogs(t, { management: { insecureNoAuth: true } })
    const res = await app.inject({ url: PAGE })
    assert.equal(res.statusCode, 200)
    assert.doesNotMatch(res.body, /Signed in as/)
    assert.equal(lines.length, 1)
    assert.match(lines[0]?.msg as string, /INSECURE.*WITHOUT AUTHENTICATION/)
    // Forms still need the page's token.
    assert.equal((await app.inject({ method: 'POST', url: `${PAGE}/users`, headers: FORM, payload: form({ username: 'x', password: 'y' }) })).statusCode, 403)
    const ok = await app.inject({ method: 'POST', url: `${PAGE}/users`, headers: FORM, payload: form({ _csrf: csrfOf(res.body), username: 'x', password: 'y' }) })
    assert.equal(ok.statusCode, 303)
  })

  test('invalid management options are refused with a message naming the option', async (t) => {
    const cases: Array<[SentinelOptions['management'], RegExp]> = [
      [{ insecureNoAuth: true, username: 'a', password: 'b' }, /management\.insecureNoAuth cannot be combined/],
      [{ insecureNoAuth: 'yes' as unknown as boolean }, /management\.insecureNoAuth must be a boolean/],
      [{ ...MANAGER, template: '/nonexistent/page.eta' }, /management\.template must name an existing \.eta file/],
      [{ ...MANAGER, template: '' }, /management\.template must be a non-empty string/]
    ]
    for (const [management, message] of cases) {
      const app = Fastify({ logger: false })
      t.after(() => app.close())
      await assert.rejects(async () => {
        await app.register(sentinel, { management })
        await app.ready()
      }, message)
    }
  })

  test('the view, basicAuth and formbody helpers stay inside the management context', async (t) => {
    const app = await build(t, 'memory', { management: { ...MANAGER } })
    assert.equal(app.hasDecorator('basicAuth'), false)
    assert.equal(app.hasDecorator('view'), false)
    assert.equal(app.hasReplyDecorator('view'), false)
    assert.equal(app.hasContentTypeParser('application/x-www-form-urlencoded'), false)
  })

  test('failed logins answer 401 with a Basic challenge and no page content', async (t) => {
    const app = await build(t, 'memory', { management: { ...MANAGER }, realm: 'my realm' })
    for (const headers of [{}, basic(MANAGER.username, 'nope'), basic('nobody', MANAGER.password)]) {
      const res = await app.inject({ url: PAGE, headers })
      assert.equal(res.statusCode, 401)
      assert.equal(res.headers['www-authenticate'], 'Basic realm="my realm", charset="UTF-8"')
      assert.doesNotMatch(res.body, /_csrf|Users/)
    }
    const post = await app.inject({ method: 'POST', url: `${PAGE}/users`, headers: { ...FORM, ...basic('admin', 'nope') }, payload: form({ username: 'x', password: 'y' }) })
    assert.equal(post.statusCode, 401)
    assert.equal(await app.sentinel.store.findUserByUsername('x'), null)
  })

  test('the page refuses plain HTTP when TLS is required', async (t) => {
    const app = await build(t, 'memory', { management: { ...MANAGER }, requireTls: true })
    const res = await app.inject({ url: PAGE, headers: MANAGER_AUTH })
    assert.equal(res.statusCode, 400)
    assert.match(res.headers['content-type'] as string, /^text\/html/)
    assert.match(res.body, /TLS required/)
  })

  test('the page carries a strict CSP, no-store, nosniff and no frames; its stylesheet ships with it', async (t) => {
    const app = await build(t, 'memory', { management: { ...MANAGER } })
    const res = await app.inject({ url: PAGE, headers: MANAGER_AUTH })
    const csp = res.headers['content-security-policy'] as string
    assert.match(csp, /default-src 'none'/)
    assert.match(csp, /frame-ancestors 'none'/)
    assert.doesNotMatch(csp, /unsafe-inline|script-src/)
    assert.equal(res.headers['cache-control'], 'no-store')
    assert.equal(res.headers['x-content-type-options'], 'nosniff')
    assert.doesNotMatch(res.body, /<script|\sstyle=|\son[a-z]+=/i)
    const cssHref = /<link rel="stylesheet" href="([^"]+)"/.exec(res.body)?.[1] as string
    const css = await app.inject({ url: cssHref, headers: MANAGER_AUTH })
    assert.equal(css.statusCode, 200)
    assert.match(css.headers['content-type'] as string, /^text\/css/)
    assert.match(css.body, /font:/)
  })

  test('routePrefix and managementUrl place the page and its forms', async (t) => {
    const app = await build(t, 'memory', { management: { ...MANAGER }, routePrefix: '/auth', managementUrl: '/admin/' })
    const res = await app.inject({ url: '/auth/admin', headers: MANAGER_AUTH })
    assert.equal(res.statusCode, 200)
    assert.match(res.body, /action="\/auth\/admin\/users"/)
    assert.match(res.body, /href="\/auth\/admin\/management.css"/)
    assert.equal((await app.inject({ url: '/auth/admin/api/users', headers: MANAGER_AUTH })).statusCode, 200)
  })
})

test('CSRF and flash tokens: bound to the identity, time-limited, unforgeable', () => {
  const signer = new Signer('password')
  const now = Date.now()
  const token = signer.csrfToken('admin', now)
  assert.equal(signer.checkCsrf('admin', token, now), true)
  assert.equal(new Signer('password').checkCsrf('admin', token, now), true, 'another instance with the same credentials accepts it')
  assert.equal(signer.checkCsrf('other', token, now), false)
  assert.equal(new Signer('other password').checkCsrf('admin', token, now), false)
  assert.equal(signer.checkCsrf('admin', token, now + 13 * 3600_000), false, 'expired')
  assert.equal(signer.checkCsrf('admin', signer.csrfToken('admin', now + 60_000), now), false, 'from the future')
  for (const bad of [undefined, 42, '', 'nodot', '.abc', token + 'x', 'x'.repeat(200)]) assert.equal(signer.checkCsrf('admin', bad, now), false)
  const random = new Signer(null)
  assert.equal(random.checkCsrf('', new Signer(null).csrfToken(''), now), false, 'without credentials the key is random per process')
  assert.equal(signer.unsign(signer.sign('User "a" created.')), 'User "a" created.')
  assert.equal(signer.unsign(new Signer('x').sign('hello')), null)
  assert.equal(signer.unsign('nodot'), null)
})

for (const backend of ['memory', 'real'] as const) {
  describe(`management page (${backend})`, () => {
    const setup = (t: TestContext, b: Backend = backend) => build(t, b, { management: { ...MANAGER } })

    test('an operator adds a user, sees it listed, and the user gets a token', async (t) => {
      const app = await setup(t)
      const { client } = await app.sentinel.admin.createClient({ name: 'app' })
      const html = await follow(app, await submit(app, '/users', { username: 'jonas', password: 'pass' }))
      assert.equal(flashOf(html), 'User &quot;jonas&quot; created.')
      assert.match(html, /<td class="username">jonas<\/td>/)
      assert.match(html, /Signed in as <strong>admin<\/strong>/)
      const token = await postToken(app, { grant_type: 'password', client_id: client.clientId, username: 'jonas', password: 'pass' })
      assert.equal(token.statusCode, 200)
      assert.match(await page(app), /<td class="sessions">1<\/td>/)
    })

    test('a form post without a valid CSRF token is refused with 403 and changes nothing', async (t) => {
      const app = await setup(t)
      const user = await app.sentinel.admin.createUser('keep', 'pw')
      const other = new Signer(null).csrfToken('admin')
      for (const fields of [{}, { _csrf: 'forged.token' }, { _csrf: other }] as Array<Record<string, string>>) {
        for (const [path, extra] of [['/users', { username: 'mallory', password: 'pw' }], [`/users/${user.id}/delete`, {}], [`/users/${user.id}/password`, { password: 'owned' }]] as Array<[string, Record<string, string>]>) {
          const res = await app.inject({ method: 'POST', url: PAGE + path, headers: { ...MANAGER_AUTH, ...FORM }, payload: form({ ...extra, ...fields }) })
          assert.equal(res.statusCode, 403, path)
          assert.match(res.body, /CSRF/)
        }
      }
      assert.equal(await app.sentinel.store.findUserByUsername('mallory'), null)
      assert.equal((await app.sentinel.store.findUserById(user.id))?.hashpw, user.hashpw)
    })

    test('values are HTML-escaped: a script in a username shows as text', async (t) => {
      const app = await setup(t)
      await app.sentinel.admin.createUser('<script>alert(1)</script>', 'pw')
      await app.sentinel.admin.createClient({ name: '"><img src=x onerror=alert(1)>' })
      const html = await page(app)
      assert.ok(!html.includes('<script>alert(1)</script>'))
      assert.ok(!html.includes('<img src=x'))
      assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/)
    })

    test('errors are shown with the form values kept, never the password', async (t) => {
      const app = await setup(t)
      await app.sentinel.admin.createUser('taken', 'pw')
      const dup = await submit(app, '/users', { username: 'taken', password: 'secret-typed' })
      assert.equal(dup.statusCode, 409)
      assert.match(flashOf(dup.body) as string, /username already exists/)
      assert.match(dup.body, /name="username" value="taken"/)
      assert.ok(!dup.body.includes('secret-typed'))
      const empty = await submit(app, '/users', { username: 'newbie', password: '' })
      assert.equal(empty.statusCode, 400)
      assert.match(empty.body, /password must not be empty/)
      assert.match(empty.body, /name="username" value="newbie"/)
      assert.equal(await app.sentinel.store.findUserByUsername('newbie'), null)
    })

    test('setting a password, revoking sessions and deleting a user act at the token endpoint', async (t) => {
      const app = await setup(t)
      const { client } = await app.sentinel.admin.createClient({ name: 'app' })
      const user = await app.sentinel.admin.createUser('lena', 'old')
      const login = (password: string) => postToken(app, { grant_type: 'password', client_id: client.clientId, username: 'lena', password })
      const first = (await login('old')).json()

      const revoked = await follow(app, await submit(app, `/users/${user.id}/revoke`, {}))
      assert.equal(flashOf(revoked), 'Revoked 1 session of &quot;lena&quot;.')
      assert.equal((await app.inject({ url: '/endpoint', headers: bearer(first.access_token) })).statusCode, 401)

      const bad = await submit(app, `/users/${user.id}/password`, { password: '' })
      assert.equal(bad.statusCode, 400)
      assert.match(bad.body, /password must not be empty/)

      const second = (await login('old')).json()
      const changed = await follow(app, await submit(app, `/users/${user.id}/password`, { password: 'new' }))
      assert.match(flashOf(changed) as string, /New password set for &quot;lena&quot;/)
      assert.equal((await login('old')).statusCode, 400)
      assert.equal((await app.inject({ url: '/endpoint', headers: bearer(second.access_token) })).statusCode, 401)
      const third = (await login('new')).json()

      const deleted = await follow(app, await submit(app, `/users/${user.id}/delete`, {}))
      assert.equal(flashOf(deleted), 'User &quot;lena&quot; deleted; their tokens were revoked.')
      assert.doesNotMatch(deleted, /class="username">lena/)
      assert.equal((await app.inject({ url: '/endpoint', headers: bearer(third.access_token) })).statusCode, 401)
      const again = await submit(app, `/users/${user.id}/delete`, {})
      assert.equal(again.statusCode, 404)
      assert.equal((await submit(app, `/users/${user.id}/revoke`, {})).statusCode, 404)
    })

    test('an operator adds a confidential client, sees its secret once, and deletes it', async (t) => {
      const app = await setup(t)
      await app.sentinel.admin.createUser('mia', 'pw')
      const res = await submit(app, '/clients', { name: 'billing', client_type: 'confidential', grant: 'password', scopes: 'read write' })
      assert.equal(res.statusCode, 201)
      const clientId = /id="created-client-id">([^<]+)</.exec(res.body)?.[1] as string
      const secret = /id="created-client-secret">([^<]+)</.exec(res.body)?.[1] as string
      assert.match(secret, /^[A-Za-z0-9_-]{43}$/)
      assert.match(res.body, /never be shown again/)
      const token = await postToken(app, { grant_type: 'password', username: 'mia', password: 'pw', scope: 'read' }, basic(clientId, secret))
      assert.equal(token.statusCode, 200)
      const refresh = await postToken(app, { grant_type: 'refresh_token', refresh_token: token.json().refresh_token }, basic(clientId, secret))
      assert.equal(refresh.statusCode, 400, 'only the password grant was allowed')

      const listed = await page(app)
      assert.ok(listed.includes(clientId))
      assert.ok(!listed.includes(secret))
      assert.match(listed, /<td class="name">billing<\/td>/)
      assert.match(listed, /<td>confidential<\/td>\s*<td>password<\/td>\s*<td>read write<\/td>/)

      const deleted = await follow(app, await submit(app, `/clients/${encodeURIComponent(clientId)}/delete`, {}))
      assert.match(flashOf(deleted) as string, /deleted; its tokens were revoked/)
      assert.ok(!deleted.includes(`<code>${clientId}</code>`))
      assert.equal((await app.inject({ url: '/endpoint', headers: bearer(token.json().access_token) })).statusCode, 401)
      assert.equal((await submit(app, `/clients/${encodeURIComponent(clientId)}/delete`, {})).statusCode, 404)
    })

    test('a public client has no secret; a bad client form is shown again with its values', async (t) => {
      const app = await setup(t)
      const pub = await submit(app, '/clients', { name: 'spa', client_type: 'public', grant: 'password' })
      assert.equal(pub.statusCode, 201)
      assert.doesNotMatch(pub.body, /created-client-secret/)
      const noGrant = await submit(app, '/clients', { name: 'kept name', client_type: 'confidential' })
      assert.equal(noGrant.statusCode, 400)
      assert.match(noGrant.body, /choose at least one grant type/)
      assert.match(noGrant.body, /name="name" value="kept name"/)
      assert.match(noGrant.body, /value="confidential" checked/)
      const badScope = await submit(app, '/clients', { name: 'x', grant: 'password', scopes: 'a"b' })
      assert.equal(badScope.statusCode, 400)
      assert.match(badScope.body, /scope/)
      const badType = await submit(app, '/clients', { grant: 'password', client_type: 'weird' })
      assert.equal(badType.statusCode, 400)
      assert.equal((await app.sentinel.store.listClients({ offset: 0, limit: 10 })).total, 1)
    })

    test('users and clients are paginated and searchable by prefix', async (t) => {
      const app = await setup(t)
      const store = app.sentinel.store
      // Straight into the store: bcrypt for 45 users would only slow the test down.
      for (let i = 0; i < 45; i++) await store.createUser({ username: `user${String(i).padStart(2, '0')}`, hashpw: '$2b$04$x' })
      await store.createUser({ username: 'zed', hashpw: '$2b$04$x' })
      for (let i = 0; i < 3; i++) await app.sentinel.admin.createClient({ name: `svc ${i}`, clientId: `svc-${i}` })
      await app.sentinel.admin.createClient({ name: 'other', clientId: 'other' })

      const first = await page(app)
      assert.equal((first.match(/<tr class="user">/g) ?? []).length, 20)
      assert.match(first, /Users 1&ndash;20 of 46/)
      const next = /<a href="([^"]+)" rel="next">/.exec(first)?.[1] as string
      assert.equal(next, `${PAGE}?users_offset=20`)
      const third = await page(app, '?users_offset=40')
      assert.equal((third.match(/<tr class="user">/g) ?? []).length, 6)
      assert.match(third, /rel="prev"/)
      assert.doesNotMatch(third, /rel="next"/)

      const found = await page(app, '?users_q=user1&clients_q=svc')
      assert.equal((found.match(/<tr class="user">/g) ?? []).length, 10)
      assert.match(found, /name="users_q" value="user1"/)
      assert.equal((found.match(/<tr class="client">/g) ?? []).length, 3)
      const none = await page(app, '?users_q=nobody')
      assert.match(none, /No users\./)

      const bad = await app.inject({ url: `${PAGE}?users_offset=-1`, headers: MANAGER_AUTH })
      assert.equal(bad.statusCode, 400)
      assert.match(bad.headers['content-type'] as string, /^text\/html/)
    })

    test('a flash message in the URL shows only when this server signed it', async (t) => {
      const app = await setup(t)
      const forged = await page(app, `?flash=${Buffer.from('Your account is locked, call 555').toString('base64url')}.abc`)
      assert.equal(flashOf(forged), null)
      assert.doesNotMatch(forged, /555/)
    })
  })
}

test('100,000 users still give a small page', async (t) => {
  const app = await build(t, 'memory', { management: { ...MANAGER } })
  const store = app.sentinel.store
  for (let i = 0; i < 100_000; i++) await store.createUser({ username: `u${i}`, hashpw: '$2b$04$x' })
  const res = await app.inject({ url: PAGE, headers: MANAGER_AUTH })
  assert.equal(res.statusCode, 200)
  assert.match(res.body, /of 100000/)
  assert.equal((res.body.match(/<tr class="user">/g) ?? []).length, 20)
  assert.ok(res.body.length < 60_000, `page is ${res.body.length} bytes`)
})

test('an app template overrides the page and receives the same data', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sentinel-template-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const template = join(dir, 'management.eta')
  writeFileSync(template, [
    '<h1>My own page for <%= it.identity %></h1>',
    '<% it.users.items.forEach(function (u) { %><p class="u"><%= u.username %>:<%= u.sessions %></p><% }) %>',
    '<% it.clients.items.forEach(function (c) { %><p class="c"><%= c.client_id %></p><% }) %>',
    '<form method="post" action="<%= it.urls.addUser %>"><input name="_csrf" value="<%= it.csrfToken %>"></form>',
    '<p>keys: <%= Object.keys(it).sort().join(",") %></p>'
  ].join('\n'))
  const app = await build(t, 'memory', { management: { ...MANAGER, template } })
  await app.sentinel.admin.createUser('<b>x</b>', 'pw')
  await app.sentinel.admin.createClient({ clientId: 'c1' })
  const html = await page(app)
  assert.match(html, /My own page for admin/)
  assert.match(html, /<p class="u">&lt;b&gt;x&lt;\/b&gt;:0<\/p>/)
  assert.match(html, /<p class="c">c1<\/p>/)
  assert.match(html, /keys: clients,createdClient,csrfToken,errors,flash,form,grantTypes,identity,title,urls,users/)
  const res = await app.inject({ method: 'POST', url: `${PAGE}/users`, headers: { ...MANAGER_AUTH, ...FORM }, payload: form({ _csrf: csrfOf(html), username: 'y', password: 'pw' }) })
  assert.equal(res.statusCode, 303)
})

describe('management page edge cases', () => {
  test('missing form fields, empty searches and plural messages read well', async (t) => {
    const app = await build(t, 'memory', { management: { ...MANAGER } })
    const noPassword = await submit(app, '/users', { username: 'x' })
    assert.equal(noPassword.statusCode, 400)
    assert.match(noPassword.body, /password must not be empty/)
    const noName = await submit(app, '/users', { password: 'pw' })
    assert.equal(noName.statusCode, 400)
    assert.match(noName.body, /username must be/)
    const user = await app.sentinel.admin.createUser('nina', 'pw')
    const noNewPassword = await submit(app, `/users/${user.id}/password`, {})
    assert.equal(noNewPassword.statusCode, 400)
    assert.equal(flashOf(await follow(app, await submit(app, `/users/${user.id}/revoke`, {}))), 'Revoked 0 sessions of &quot;nina&quot;.')
    const unnamed = await submit(app, '/clients', { grant: 'password' })
    assert.equal(unnamed.statusCode, 201)
    const clientId = /id="created-client-id">([^<]+)</.exec(unnamed.body)?.[1] as string
    assert.equal(flashOf(unnamed.body), `Client &quot;${clientId}&quot; created.`)

    const empty = await page(app, '?users_q=&clients_q=')
    assert.match(empty, /<td class="username">nina<\/td>/)
    assert.match(empty, /<code>[^<]+<\/code><\/td>\s*<td>public/)
  })

  test('client lists page too, and the first page link carries no offset', async (t) => {
    const app = await build(t, 'memory', { management: { ...MANAGER } })
    for (let i = 0; i < 25; i++) await app.sentinel.admin.createClient({ clientId: `c${String(i).padStart(2, '0')}` })
    const first = await page(app)
    assert.match(first, new RegExp(`<a href="${PAGE}\\?clients_offset=20" rel="next">`))
    const second = await page(app, '?clients_offset=20')
    assert.match(second, new RegExp(`<a href="${PAGE}" rel="prev">`))
    assert.equal((second.match(/<tr class="client">/g) ?? []).length, 5)
  })

  test('the page can sit at the root of the prefix', async (t) => {
    const app = await build(t, 'memory', { management: { ...MANAGER }, routePrefix: '/admin', managementUrl: '/' })
    const res = await app.inject({ url: '/admin/', headers: MANAGER_AUTH })
    assert.equal(res.statusCode, 200)
    assert.match(res.body, /action="\/admin\/users"/)
  })

  test('store failures during a form post answer an error page without details', async (t) => {
    const app = await build(t, 'memory', { management: { ...MANAGER } })
    const user = await app.sentinel.admin.createUser('olga', 'pw')
    const token = csrfOf(await page(app))
    const store = app.sentinel.store
    store.createUser = async () => { throw Object.assign(new Error('connect ECONNREFUSED'), { name: 'MongoNetworkError' }) }
    store.setUserPassword = async () => { throw new Error('secret internals') }
    store.createClient = async () => { throw new Error('secret internals') }
    const down = await submit(app, '/users', { username: 'p', password: 'pw' }, token)
    assert.equal(down.statusCode, 503)
    assert.match(down.body, /database is unavailable/)
    for (const [path, fields] of [[`/users/${user.id}/password`, { password: 'pw2' }], ['/clients', { grant: 'password' }]] as Array<[string, Record<string, string>]>) {
      const res = await submit(app, path, fields, token)
      assert.equal(res.statusCode, 500)
      assert.doesNotMatch(res.body, /secret internals/)
    }
    const xml = await app.inject({ method: 'POST', url: `${PAGE}/users`, headers: { ...MANAGER_AUTH, 'content-type': 'text/xml' }, payload: '<x/>' })
    assert.equal(xml.statusCode, 415)
    assert.match(xml.body, /malformed/)
  })
})

test('a session runs from its first token to its last live one, whatever order the store returns', async (t) => {
  const app = await build(t, 'memory', { management: { ...MANAGER } })
  const hour = 3600_000
  const now = Date.now()
  const token = (hash: string, kind: 'access' | 'refresh', family: string, created: number, expires: number, consumed = false, scope = 'a b') => ({
    hash, kind, familyId: family, clientId: 'c', userId: 'u1', scope, createdAt: new Date(created), expiresAt: new Date(expires), consumedAt: consumed ? new Date(created + 1) : null
  })
  await app.sentinel.store.insertTokens([
    // Newest first on purpose: a rotated family whose latest tokens come back before its first.
    token('h4', 'refresh', 'f1', now - hour, now + 24 * hour),
    token('h3', 'access', 'f1', now - hour, now + hour, false, 'a'),
    token('h2', 'refresh', 'f1', now - 2 * hour, now + 23 * hour, true),
    token('h1', 'access', 'f1', now - 2 * hour, now - hour, false, 'a'),
    // Only dead tokens: an ended session.
    token('h6', 'refresh', 'f2', now - 3 * hour, now + hour, true),
    token('h5', 'access', 'f2', now - 3 * hour, now - 2 * hour)
  ])
  const sessions = await app.sentinel.admin.listSessions('u1', new Date(now))
  assert.deepEqual(sessions, [{ familyId: 'f1', clientId: 'c', scope: 'a b', createdAt: new Date(now - 2 * hour), expiresAt: new Date(now + 24 * hour) }])
  assert.equal(await app.sentinel.store.countLiveSessions('u1', new Date(now)), 1)
})
