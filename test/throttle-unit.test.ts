import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Redis } from 'ioredis'
import { OAuthError } from '../lib/errors.js'
import { Throttle } from '../lib/throttle.js'

function recordingLog () {
  const warnings: string[] = []
  const log = { warn: (_obj: unknown, msg: string) => { warnings.push(msg) } }
  return { warnings, log: log as never }
}

const user = (value: string) => ({ kind: 'user' as const, value })

test('the memory throttle keeps at most maxEntries counters, dropping expired then oldest ones', async () => {
  const { log } = recordingLog()
  const throttle = new Throttle(null, { limit: 1, addressLimit: 1, window: 60, keyPrefix: 't:', maxEntries: 3 }, log)
  for (const name of ['a', 'b', 'c']) await throttle.fail([user(name)])
  await assert.rejects(throttle.check([user('a')]), (err: OAuthError) => err.error === 'slow_down' && err.statusCode === 429)
  // A fourth counter evicts the oldest, 'a'.
  await throttle.fail([user('d')])
  await throttle.check([user('a')])
  await assert.rejects(throttle.check([user('d')]), OAuthError)
  await assert.rejects(throttle.check([user('b')]), OAuthError)
})

test('with Redis unreachable the throttle fails open and logs, rather than lock everyone out', async (t) => {
  const redis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null })
  redis.on('error', () => {})
  t.after(() => { redis.disconnect() })
  const { warnings, log } = recordingLog()
  const throttle = new Throttle(redis, { limit: 1, addressLimit: 1, window: 60, keyPrefix: 't:' }, log)
  await throttle.fail([user('a')])
  await throttle.check([user('a')])
  await throttle.reset(user('a'))
  assert.deepEqual(warnings, [
    'fastify-sentinel: throttle count failed',
    'fastify-sentinel: throttle read failed; not throttling',
    'fastify-sentinel: throttle reset failed'
  ])
})
