/**
 * Type tests of the public API: `npm run build` (tsc) fails if any line here stops compiling,
 * or if an @ts-expect-error line starts compiling. Nothing here runs.
 */
import Fastify from 'fastify'
import sentinel, { configFromEnv, MemoryStore, type AccessInfo, type SentinelOptions, type Store } from '../lib/index.js'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false
function expectType<T extends true> (): T | undefined { return undefined }

export async function typeChecks (): Promise<unknown[]> {
  const app = Fastify()
  await app.register(sentinel, { routePrefix: '/auth', redis: { url: 'redis://localhost:6379/0', legacyMirror: true }, mongo: { url: 'mongodb://localhost' } })
  await app.register(sentinel, configFromEnv(process.env))
  await app.register(sentinel, { store: new MemoryStore(), tokenUrl: false, redis: false })
  // @ts-expect-error accessTokenTtl is a number of seconds
  await app.register(sentinel, { accessTokenTtl: '3600' })
  // @ts-expect-error tokenUrl is a path or false, not true
  await app.register(sentinel, { tokenUrl: true })

  app.get('/me', { preHandler: app.sentinel.verify }, async (request) => {
    expectType<Equal<typeof request.oauth, AccessInfo | null>>()
    const oauth = request.oauth
    if (oauth === null) return null
    expectType<Equal<typeof oauth.userId, string | null>>()
    expectType<Equal<typeof oauth.scopes, string[]>>()
    expectType<Equal<typeof oauth.expiresAt, Date>>()
    return oauth.clientId
  })
  app.get('/notes', { preHandler: app.sentinel.requireScopes('notes:read', 'notes:write') }, async () => 'ok')
  // @ts-expect-error scopes are strings
  app.sentinel.requireScopes(1)

  const store: Store = app.sentinel.store
  const user = await app.sentinel.admin.createUser('jonas', 'pass')
  expectType<Equal<typeof user.id, string>>()
  const created = await app.sentinel.admin.createClient({ clientType: 'confidential', scopes: ['read'] })
  expectType<Equal<typeof created.clientSecret, string | undefined>>()
  // @ts-expect-error client types are public or confidential
  await app.sentinel.admin.createClient({ clientType: 'secret' })
  expectType<Equal<typeof app.sentinel.backends.store, 'mongodb' | 'memory' | 'custom'>>()
  const opts: SentinelOptions = configFromEnv({})
  return [store, opts, user, created]
}
