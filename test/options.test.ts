import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import Fastify from 'fastify'
import sentinel, { configFromEnv, resolveOptions, type SentinelOptions } from '../lib/index.js'

describe('options', () => {
  test('defaults are flask-sentinel\'s', () => {
    const o = resolveOptions()
    assert.equal(o.routePrefix, '/oauth')
    assert.equal(o.tokenUrl, '/token')
    assert.equal(o.managementUrl, '/management')
    assert.equal(o.management, null)
    assert.equal(o.mongo, null)
    // No Redis of its own, but a host-registered fastify.redis would be used.
    assert.deepEqual(o.redis, { url: null, keyPrefix: 'sentinel:', legacyMirror: false })
    assert.equal(o.accessTokenTtl, 3600)
    assert.equal(o.refreshTokenTtl, 14 * 86400)
    assert.equal(o.bcryptCost, 12)
    assert.equal(o.requireTls, true)
    assert.equal(o.allowQueryToken, false)
    assert.equal(o.errorUri, null)
  })

  test('redis: true or an object means redis://localhost:6379/0 unless a URL is given; mongo defaults to database oauth', () => {
    assert.deepEqual(resolveOptions({ redis: true }).redis, { url: 'redis://localhost:6379/0', keyPrefix: 'sentinel:', legacyMirror: false })
    assert.equal(resolveOptions({ redis: { keyPrefix: 'x:' } }).redis?.url, 'redis://localhost:6379/0')
    assert.equal(resolveOptions({ redis: false }).redis, null)
    assert.deepEqual(resolveOptions({ mongo: { url: 'mongodb://h:1' } }).mongo, { url: 'mongodb://h:1', database: 'oauth' })
    assert.equal(resolveOptions({ routePrefix: '/' }).routePrefix, '')
    assert.equal(resolveOptions({ routePrefix: '/api/' }).routePrefix, '/api')
  })

  const bad: Array<[SentinelOptions, string]> = [
    [{ routePrefix: 'oauth' }, 'option routePrefix must be a path starting with "/", got "oauth"'],
    [{ tokenUrl: 'token' }, 'option tokenUrl must be a path starting with "/", got "token"'],
    [{ managementUrl: true as unknown as string }, 'option managementUrl must be a path starting with "/", got true'],
    [{ accessTokenTtl: 0 }, 'option accessTokenTtl must be an integer from 1 to 31536000, got 0'],
    [{ accessTokenTtl: '3600' as unknown as number }, 'option accessTokenTtl must be an integer from 1 to 31536000, got "3600"'],
    [{ refreshTokenTtl: 1.5 }, 'option refreshTokenTtl must be an integer from 1 to 157680000, got 1.5'],
    [{ bcryptCost: 3 }, 'option bcryptCost must be an integer from 4 to 31, got 3'],
    [{ management: { username: 'admin' } }, 'options management.username and management.password must be given together'],
    [{ management: { username: 'admin', password: '' } }, 'option management.password must be a non-empty string'],
    [{ management: 'admin' as never }, 'option management must be an object'],
    [{ mongo: { url: 'http://localhost' } }, 'option mongo.url must be a mongodb:// or mongodb+srv:// URL'],
    [{ mongo: null as never }, 'option mongo must be an object'],
    [{ redis: { url: 'localhost:6379' } }, 'option redis.url must be a redis:// or rediss:// URL'],
    [{ redis: { keyPrefix: 5 as unknown as string } }, 'option redis.keyPrefix must be a string'],
    [{ redis: { legacyMirror: 'yes' as unknown as boolean } }, 'option redis.legacyMirror must be a boolean'],
    [{ store: {} as never }, 'option store must implement the Store interface'],
    [{ allowQueryToken: 1 as unknown as boolean }, 'option allowQueryToken must be a boolean'],
    [{ requireTls: 'no' as unknown as boolean }, 'option requireTls must be a boolean'],
    [{ realm: '' }, 'option realm must be a non-empty string'],
    [{ sweepInterval: -1 }, 'option sweepInterval must be an integer from 0 to 86400, got -1']
  ]
  for (const [opts, message] of bad) {
    test(`app.ready() rejects: ${message}`, async () => {
      const app = Fastify()
      app.register(sentinel, opts)
      await assert.rejects(async () => { await app.ready() }, { name: 'OptionsError', code: 'FST_SENTINEL_OPTIONS', message: `fastify-sentinel: ${message}` })
      await app.close()
    })
  }
})

describe('configFromEnv', () => {
  test('maps flask-sentinel\'s settings names to options', () => {
    const opts = configFromEnv({
      SENTINEL_ROUTE_PREFIX: '/auth',
      SENTINEL_TOKEN_URL: '/issue',
      SENTINEL_MANAGEMENT_URL: 'False',
      SENTINEL_REDIS_URL: 'redis://cache:6379/1',
      SENTINEL_MONGO_URI: 'mongodb://db:27017',
      SENTINEL_MONGO_DBNAME: 'accounts',
      SENTINEL_MANAGEMENT_USERNAME: 'admin',
      SENTINEL_MANAGEMENT_PASSWORD: 'secret',
      OAUTH2_PROVIDER_TOKEN_EXPIRES_IN: '600',
      OAUTH2_PROVIDER_ERROR_URI: '/auth/errors'
    })
    assert.deepEqual(opts, {
      routePrefix: '/auth',
      tokenUrl: '/issue',
      managementUrl: false,
      redis: { url: 'redis://cache:6379/1' },
      mongo: { url: 'mongodb://db:27017', database: 'accounts' },
      management: { username: 'admin', password: 'secret' },
      accessTokenTtl: 600,
      errorUri: '/auth/errors'
    })
    const resolved = resolveOptions(opts)
    assert.equal(resolved.accessTokenTtl, 600)
    assert.deepEqual(resolved.management, { credentials: { username: 'admin', password: 'secret' }, template: null })
  })

  test('an empty environment keeps every default (the embedded store, no Redis)', () => {
    assert.deepEqual(configFromEnv({}), {})
    assert.deepEqual(configFromEnv({ SENTINEL_TOKEN_URL: '', SENTINEL_REDIS_URL: '' }), {})
  })

  test('a database name alone still means MongoDB, on localhost as flask-sentinel assumed', () => {
    assert.deepEqual(configFromEnv({ SENTINEL_MONGO_DBNAME: 'accounts' }).mongo, { url: 'mongodb://localhost:27017', database: 'accounts' })
  })

  test('a bad value is reported against the option it maps to', () => {
    assert.throws(() => resolveOptions(configFromEnv({ OAUTH2_PROVIDER_TOKEN_EXPIRES_IN: 'an hour' })), /option accessTokenTtl must be an integer/)
    assert.throws(() => resolveOptions(configFromEnv({ SENTINEL_MANAGEMENT_USERNAME: 'admin' })), /management.username and management.password must be given together/)
  })
})
