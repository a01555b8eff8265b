import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { describe, test } from 'node:test'
import Fastify from 'fastify'
import fastifyMongodb from '@fastify/mongodb'
import fastifyRedis from '@fastify/redis'
import { Redis } from 'ioredis'
import { MongoClient } from 'mongodb'
import sentinel, { DuplicateKeyError, MemoryStore } from '../lib/index.js'
import { bearer, build, dropDatabase, FORM, mongoUrl, postToken, rawRedis, redisUrl, seed, uniqueName } from './helpers.js'
import { startFerretDB, stopProcess } from './servers.js'

const base = { bcryptCost: 4, requireTls: false, sweepInterval: 0 }

describe('registration', () => {
  test('only fastify.sentinel reaches the host: no mongo, redis or form parser leaks out', async (t) => {
    const app = await build(t, 'real')
    assert.equal(app.sentinel.backends.store, 'mongodb')
    assert.equal(app.sentinel.backends.mirror, 'redis')
    assert.equal(app.hasDecorator('mongo'), false)
    assert.equal(app.hasDecorator('redis'), false)
    assert.equal(app.hasContentTypeParser('application/x-www-form-urlencoded'), false)
    assert.equal(app.hasRequestDecorator('oauth'), true)
  })

  test('the embedded default needs no database', async (t) => {
    const app = await build(t, 'memory')
    assert.deepEqual(app.sentinel.backends, { store: 'memory', mirror: 'none' })
  })

  test('a custom store is used as given', async (t) => {
    const store = new MemoryStore()
    const app = await build(t, 'memory', { store })
    assert.equal(app.sentinel.backends.store, 'custom')
    assert.equal(app.sentinel.store, store)
  })

  test('clients the host registered are reused and left open when the app closes', async (t) => {
    const database = uniqueName('hostclients')
    const redis = new Redis(redisUrl())
    t.after(() => redis.disconnect())
    const app = Fastify()
    await app.register(fastifyMongodb, { url: mongoUrl(), database })
    await app.register(fastifyRedis, { client: redis })
    // No mongo or redis option at all: the host's clients are found and used.
    await app.register(sentinel, base)
    app.get('/endpoint', { preHandler: app.sentinel.verify }, async () => 'ok')
    await app.ready()
    assert.deepEqual(app.sentinel.backends, { store: 'mongodb', mirror: 'redis' })
    const s = await seed(app as never)
    const res = (await postToken(app as never, { client_id: s.clientId, grant_type: 'password', username: s.username, password: s.password })).json()
    // The plugin wrote into the host's database (named 'oauth' by default) and Redis.
    const mongo = app.mongo.client
    assert.equal(await mongo.db('oauth').collection('users').countDocuments({ username: s.username }), 1)
    assert.equal(await redis.dbsize() > 0, true)
    assert.equal((await app.inject({ url: '/endpoint', headers: bearer(res.access_token) })).statusCode, 200)
    await mongo.db('oauth').dropDatabase()
    for (const key of await redis.keys('sentinel:*')) await redis.del(key)
    await app.close()
    assert.equal(await redis.ping(), 'PONG')
  })

  test('redis: false turns the mirror off even when the host has Redis', async (t) => {
    const redis = new Redis(redisUrl())
    t.after(() => redis.disconnect())
    const app = Fastify()
    await app.register(fastifyRedis, { client: redis })
    await app.register(sentinel, { ...base, redis: false })
    t.after(() => app.close())
    await app.ready()
    assert.equal(app.sentinel.backends.mirror, 'none')
  })

  test('a MongoClient passed in options is used and not closed', async (t) => {
    const client = new MongoClient(mongoUrl())
    await client.connect()
    const database = uniqueName('optclient')
    t.after(async () => { await client.db(database).dropDatabase(); await client.close() })
    const app = Fastify()
    await app.register(sentinel, { ...base, mongo: { client, database } })
    await app.ready()
    await app.sentinel.admin.createUser('ann', 'pw')
    await app.close()
    assert.equal(await client.db(database).collection('users').countDocuments(), 1)
  })

  test('connections the plugin opened itself are closed with the app', async (t) => {
    const redis = rawRedis(t)
    const named = async () => ((await redis.client('LIST')) as string).split('\n').filter((l) => l.includes('name=fastify-sentinel')).length
    const before = await named()
    const database = uniqueName('ownclients')
    const app = Fastify()
    await app.register(sentinel, { ...base, mongo: { url: mongoUrl(), database }, redis: { url: redisUrl(), keyPrefix: database + ':' } })
    await app.ready()
    assert.equal(await named(), before + 1)
    await app.close()
    await dropDatabase(database)
    assert.equal(await named(), before)
  })

  test('the sweeper removes expired tokens on its own', async (t) => {
    const app = await build(t, 'memory', { sweepInterval: 1, accessTokenTtl: 1, refreshTokenTtl: 1 })
    const s = await seed(app)
    const res = (await postToken(app, { client_id: s.clientId, grant_type: 'password', username: s.username, password: s.password })).json()
    assert.equal((await app.sentinel.store.findTokensBy('userId', s.user.id)).length, 2)
    await new Promise((resolve) => setTimeout(resolve, 2600))
    assert.equal((await app.sentinel.store.findTokensBy('userId', s.user.id)).length, 0)
    assert.equal((await app.inject({ url: '/endpoint', headers: bearer(res.access_token) })).statusCode, 401)
  })
})

describe('admin helpers', () => {
  test('createUser refuses unusable usernames and passwords and duplicate usernames', async (t) => {
    const app = await build(t, 'memory')
    const admin = app.sentinel.admin
    for (const username of ['', ' padded', 'padded ', 'tab\there', 'x'.repeat(257)]) {
      await assert.rejects(admin.createUser(username, 'pw'), { error: 'invalid_request' }, JSON.stringify(username))
    }
    await assert.rejects(admin.createUser('ann', ''), { message: 'password must not be empty' })
    await assert.rejects(admin.createUser('ann', 'é'.repeat(37)), { message: 'password must be at most 72 bytes (a bcrypt limit)' })
    await admin.createUser('ann', 'pw')
    await assert.rejects(admin.createUser('ann', 'pw'), DuplicateKeyError)
    assert.equal((await admin.createUser('Ann Lee', 'pw')).username, 'Ann Lee')
  })

  test('createClient validates its input and shows a confidential secret only once', async (t) => {
    const app = await build(t, 'memory')
    const admin = app.sentinel.admin
    await assert.rejects(admin.createClient({ allowedGrantTypes: ['implicit'] }), { message: 'unknown grant type: implicit' })
    await assert.rejects(admin.createClient({ clientType: 'secret' as never }), { message: 'clientType must be public or confidential' })
    await assert.rejects(admin.createClient({ clientId: 'has space' }), { error: 'invalid_request' })
    await assert.rejects(admin.createClient({ name: 'n'.repeat(201) }), { message: 'name must be at most 200 characters' })
    await assert.rejects(admin.createClient({ scopes: 'read "bad"' }), { error: 'invalid_scope' })
    const pub = await admin.createClient({ name: ' Demo ', scopes: 'read  write' })
    assert.equal(pub.clientSecret, undefined)
    assert.equal(pub.client.name, 'Demo')
    assert.deepEqual(pub.client.scopes, ['read', 'write'])
    assert.deepEqual(pub.client.allowedGrantTypes, ['password', 'refresh_token'])
    const conf = await admin.createClient({ clientType: 'confidential', clientId: 'my-app', scopes: ['a'] })
    assert.match(conf.clientSecret as string, /^[A-Za-z0-9_-]{43}$/)
    assert.equal(conf.client.clientId, 'my-app')
    const stored = await app.sentinel.store.findClient('my-app')
    assert.notEqual(stored?.secretHash, conf.clientSecret)
    assert.match(stored?.secretHash as string, /^sha256:[0-9a-f]{64}$/)
  })

  test('setPassword, deleteUser and deleteClient revoke the tokens they concern', async (t) => {
    const app = await build(t, 'memory')
    const admin = app.sentinel.admin
    const s = await seed(app)
    const login = async () => (await postToken(app, { client_id: s.clientId, grant_type: 'password', username: s.username, password: s.password })).json()
    const call = async (token: string) => (await app.inject({ url: '/endpoint', headers: bearer(token) })).statusCode

    const a = await login()
    assert.equal(await admin.setPassword(s.user.id, 'new-pass'), true)
    assert.equal(await call(a.access_token), 401)
    assert.equal((await postToken(app, { client_id: s.clientId, grant_type: 'password', username: s.username, password: 'new-pass' })).statusCode, 200)
    assert.equal(await admin.setPassword('nobody', 'x'), false)

    const b = (await postToken(app, { client_id: s.clientId, grant_type: 'password', username: s.username, password: 'new-pass' })).json()
    assert.equal(await admin.deleteClient(s.clientId), true)
    assert.equal(await call(b.access_token), 401)
    assert.equal(await admin.deleteClient(s.clientId), false)

    const { client } = await admin.createClient()
    const c = (await postToken(app, { client_id: client.clientId, grant_type: 'password', username: s.username, password: 'new-pass' })).json()
    assert.equal(await admin.deleteUser(s.user.id), true)
    assert.equal(await call(c.access_token), 401)
    assert.equal(await admin.deleteUser(s.user.id), false)
  })
})

describe('when the database is down', () => {
  test('the token endpoint answers 503 temporarily_unavailable and verify 503, with no detail leaked', async (t) => {
    const ferret = await startFerretDB()
    t.after(async () => { await stopProcess(ferret.proc); rmSync(ferret.dir, { recursive: true, force: true }) })
    const app = Fastify({ logger: false })
    await app.register(sentinel, { ...base, mongo: { url: ferret.url + '?serverSelectionTimeoutMS=500&connectTimeoutMS=500', database: 'down' } })
    app.get('/endpoint', { preHandler: app.sentinel.verify }, async () => 'ok')
    t.after(() => app.close())
    await app.ready()
    const s = await seed(app as never)
    const token = (await postToken(app as never, { client_id: s.clientId, grant_type: 'password', username: s.username, password: s.password })).json()

    await stopProcess(ferret.proc)
    const res = await postToken(app as never, { client_id: s.clientId, grant_type: 'password', username: s.username, password: s.password })
    assert.equal(res.statusCode, 503)
    assert.equal(res.headers['retry-after'], '1')
    assert.deepEqual(res.json(), { error: 'temporarily_unavailable', error_description: 'the service is temporarily unavailable; try again' })
    await assert.rejects(app.sentinel.admin.createUser('ann', 'pw'), (err: Error) => err.name.startsWith('Mongo'))
    const call = await app.inject({ url: '/endpoint', headers: bearer(token.access_token) })
    assert.equal(call.statusCode, 503)
    assert.deepEqual(call.json(), { error: 'temporarily_unavailable', error_description: 'the token store is unavailable; try again' })
  })
})

test('a host that parses forms itself can still call the token endpoint', async (t) => {
  const app = Fastify()
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)))
  })
  await app.register(sentinel, base)
  t.after(() => app.close())
  const s = await seed(app as never)
  const res = await app.inject({ method: 'POST', url: '/oauth/token', headers: FORM, payload: `client_id=${s.clientId}&grant_type=password&username=jonas&password=pass` })
  assert.equal(res.statusCode, 200)
})
