import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { build, postToken, rawRedis, seed } from './helpers.js'
import { basic, buildCluster, confidential } from './standards-helpers.js'

const login = (app: FastifyInstance, clientId: string, username: string, password: string) =>
  postToken(app, { grant_type: 'password', username, password, client_id: clientId })

function assertThrottled (res: Awaited<ReturnType<typeof postToken>>, maxWait: number): void {
  assert.equal(res.statusCode, 429)
  assert.deepEqual(res.json(), { error: 'slow_down', error_description: 'too many failed attempts; try again later' })
  const wait = Number(res.headers['retry-after'])
  assert.ok(Number.isInteger(wait) && wait >= 1 && wait <= maxWait, `Retry-After ${String(res.headers['retry-after'])}`)
}

for (const backend of ['memory', 'real'] as const) {
  test(`past the limit, a username answers 429 slow_down with Retry-After, even to the right password (${backend})`, async (t) => {
    const app = await build(t, backend, { throttle: { limit: 3, window: 60 } })
    const { clientId, username, password } = await seed(app)
    for (let i = 0; i < 3; i++) assert.equal((await login(app, clientId, username, 'wrong')).json().error, 'invalid_grant')
    assertThrottled(await login(app, clientId, username, 'wrong'), 60)
    assertThrottled(await login(app, clientId, username, password), 60)
    // Another username from the same address is not affected.
    await app.sentinel.admin.createUser('other', 'pw')
    assert.equal((await login(app, clientId, 'other', 'pw')).statusCode, 200)
  })

  test(`an unknown username is counted and answered exactly like a known one (${backend})`, async (t) => {
    const app = await build(t, backend, { throttle: { limit: 2, window: 60 } })
    const { clientId, username } = await seed(app)
    const answers = async (name: string) => {
      const out = []
      for (let i = 0; i < 3; i++) {
        const res = await login(app, clientId, name, 'wrong')
        out.push([res.statusCode, res.json(), res.headers['retry-after'] !== undefined])
      }
      return out
    }
    const known = await answers(username)
    const unknown = await answers('nobody')
    assert.deepEqual(unknown, known)
    assert.equal(known[2]?.[0], 429)
  })
}

test('a success resets the username\'s count', async (t) => {
  const app = await build(t, 'memory', { throttle: { limit: 3, window: 60 } })
  const { clientId, username, password } = await seed(app)
  for (let i = 0; i < 2; i++) await login(app, clientId, username, 'wrong')
  assert.equal((await login(app, clientId, username, password)).statusCode, 200)
  for (let i = 0; i < 2; i++) assert.equal((await login(app, clientId, username, 'wrong')).statusCode, 400)
  assert.equal((await login(app, clientId, username, password)).statusCode, 200)
})

test('once the window has passed, the username may try again', async (t) => {
  const app = await build(t, 'real', { throttle: { limit: 1, window: 1 } })
  const { clientId, username, password } = await seed(app)
  await login(app, clientId, username, 'wrong')
  assertThrottled(await login(app, clientId, username, password), 1)
  await new Promise((resolve) => setTimeout(resolve, 1100))
  assert.equal((await login(app, clientId, username, password)).statusCode, 200)
})

test('failures from one client address are limited across usernames', async (t) => {
  const app = await build(t, 'memory', { throttle: { limit: 100, addressLimit: 4, window: 60 } })
  const { clientId, username, password } = await seed(app)
  for (let i = 0; i < 4; i++) assert.equal((await login(app, clientId, `user${i}`, 'wrong')).statusCode, 400)
  assertThrottled(await login(app, clientId, username, password), 60)
  // A different address is not affected.
  const other = await app.inject({ method: 'POST', url: '/oauth/token', remoteAddress: '10.0.0.9', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ grant_type: 'password', username, password, client_id: clientId }).toString() })
  assert.equal(other.statusCode, 200)
})

test('client secret failures are throttled too, per client_id', async (t) => {
  const app = await build(t, 'memory', { throttle: { limit: 3, window: 60 } })
  await app.sentinel.admin.createUser('jonas', 'pass')
  const { clientId, clientSecret } = await confidential(app)
  for (let i = 0; i < 3; i++) {
    const res = await postToken(app, { grant_type: 'client_credentials' }, basic(clientId, 'guess' + i))
    assert.equal(res.json().error, 'invalid_client')
  }
  assertThrottled(await postToken(app, { grant_type: 'client_credentials' }, basic(clientId, clientSecret)), 60)
  assertThrottled(await postToken(app, { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }), 60)
})

test('counts are shared across instances through Redis, under hashed keys', async (t) => {
  const [a, b] = await buildCluster(t, 2, { throttle: { limit: 2, window: 60 } }) as [FastifyInstance, FastifyInstance]
  const { clientId, username, password } = await seed(a)
  await login(a, clientId, username, 'wrong')
  await login(b, clientId, username, 'wrong')
  assertThrottled(await login(a, clientId, username, password), 60)
  assertThrottled(await login(b, clientId, username, password), 60)
  const prefix = a.sentinel.options.redis?.keyPrefix as string
  const keys = await rawRedis(t).keys(`${prefix}throttle:*`)
  assert.ok(keys.length >= 2)
  assert.ok(keys.every((k) => !k.includes(username)), 'no username in a Redis key')
})

test('throttle: false turns it off', async (t) => {
  const app = await build(t, 'memory', { throttle: false })
  const { clientId, username, password } = await seed(app)
  for (let i = 0; i < 12; i++) assert.equal((await login(app, clientId, username, 'wrong')).statusCode, 400)
  assert.equal((await login(app, clientId, username, password)).statusCode, 200)
})
