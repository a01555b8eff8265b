import fastifyMongodb from '@fastify/mongodb'
import fastifyRedis from '@fastify/redis'
import type { FastifyInstance, FastifyPluginAsync, preHandlerAsyncHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import type { MongoClient } from 'mongodb'
import { Admin } from './admin.js'
import { Grants, type AccessInfo, type Mirror } from './grant.js'
import { configFromEnv, resolveOptions, type ResolvedOptions, type SentinelOptions } from './options.js'
import { Passwords } from './passwords.js'
import { errorPage } from './routes/error-page.js'
import { metadataRoute } from './routes/metadata.js'
import { oauthRoutes } from './routes/oauth.js'
import { Throttle } from './throttle.js'
import { managementRoutes } from './routes/management.js'
import { MemoryStore } from './store/memory.js'
import { MongoStore } from './store/mongo.js'
import type { Store } from './store/types.js'
import { createRequireScopes, createVerify } from './verify.js'

export interface SentinelDecorator {
  /** preHandler: admits a request that carries a live access token (RFC 6750) and sets request.oauth. */
  verify: preHandlerAsyncHookHandler
  /** preHandler: verify, then require every named scope (403 insufficient_scope, RFC 6750 section 3.1). */
  requireScopes: (...scopes: string[]) => preHandlerAsyncHookHandler
  /** The store in use (MongoStore, MemoryStore or yours). */
  store: Store
  /** Users and clients: create, delete, set passwords, revoke sessions. */
  admin: Admin
  /** Which backends the plugin ended up on. */
  backends: { store: 'mongodb' | 'memory' | 'custom', mirror: 'redis' | 'none' }
  /** Resolved options, read-only. */
  options: Readonly<ResolvedOptions>
}

declare module 'fastify' {
  interface FastifyInstance {
    sentinel: SentinelDecorator
  }
  interface FastifyRequest {
    /** Set by fastify.sentinel.verify on success. */
    oauth: AccessInfo | null
  }
}

// Connect to a server the host did not register, in an encapsulated child so that no
// `mongo` / `redis` decorator leaks into the host; the child's onClose closes only that client.
async function openMongo (fastify: FastifyInstance, url: string): Promise<MongoClient> {
  let client: MongoClient | undefined
  await fastify.register(async (child) => {
    await child.register(fastifyMongodb, { url, forceClose: true })
    client = child.mongo.client
  })
  return client as MongoClient
}

async function openRedis (fastify: FastifyInstance, url: string): Promise<Redis> {
  let client: Redis | undefined
  await fastify.register(async (child) => {
    // Fail fast while Redis is away, so that verify falls through to the store instead of
    // queueing behind reconnection attempts.
    await child.register(fastifyRedis, { url, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectionName: 'fastify-sentinel' })
    client = child.redis
  })
  return client as Redis
}

async function selectStore (fastify: FastifyInstance, options: ResolvedOptions): Promise<{ store: Store, kind: SentinelDecorator['backends']['store'] }> {
  if (options.store !== null) return { store: options.store, kind: 'custom' }
  const database = options.mongo?.database ?? 'oauth'
  let client = options.mongo?.client
  if (client === undefined && fastify.hasDecorator('mongo')) client = fastify.mongo.client
  if (client === undefined && options.mongo?.url !== undefined) client = await openMongo(fastify, options.mongo.url)
  if (client === undefined) return { store: new MemoryStore(), kind: 'memory' }
  return { store: new MongoStore(client.db(database)), kind: 'mongodb' }
}

async function selectMirror (fastify: FastifyInstance, options: ResolvedOptions): Promise<Mirror | null> {
  if (options.redis === null) return null
  let redis: Redis | null = null
  if (fastify.hasDecorator('redis')) redis = fastify.redis
  else if (options.redis.url !== null) redis = await openRedis(fastify, options.redis.url)
  return redis === null ? null : { redis, keyPrefix: options.redis.keyPrefix, legacy: options.redis.legacyMirror }
}

const fastifySentinel: FastifyPluginAsync<SentinelOptions> = async function fastifySentinel (fastify, opts) {
  const options = resolveOptions(opts)
  const { store, kind } = await selectStore(fastify, options)
  await store.init()
  const mirror = await selectMirror(fastify, options)

  const passwords = new Passwords(options.bcryptCost)
  const grants = new Grants(store, mirror, passwords, {
    accessTokenTtl: options.accessTokenTtl,
    refreshTokenTtl: options.refreshTokenTtl
  }, fastify.log)
  const verify = createVerify(grants, { realm: options.realm, allowQueryToken: options.allowQueryToken })

  const throttle = options.throttle === null
    ? null
    : new Throttle(mirror?.redis ?? null, { ...options.throttle, keyPrefix: mirror?.keyPrefix ?? 'sentinel:' }, fastify.log)

  fastify.decorate('sentinel', {
    verify,
    requireScopes: createRequireScopes(verify, options.realm),
    store,
    admin: new Admin(store, grants, passwords),
    backends: { store: kind, mirror: mirror === null ? 'none' : 'redis' },
    options: Object.freeze(options)
  })
  fastify.decorateRequest('oauth', null)

  if (options.tokenUrl !== false || options.revokeUrl !== false || options.introspectUrl !== false) {
    await fastify.register(oauthRoutes, {
      prefix: options.routePrefix,
      tokenUrl: options.tokenUrl,
      revokeUrl: options.revokeUrl,
      introspectUrl: options.introspectUrl,
      enabledGrants: options.grants,
      grants,
      throttle,
      realm: options.realm,
      errorUri: options.errorUri,
      requireTls: options.requireTls
    })
  }
  if (options.errorPageUrl !== false) await fastify.register(errorPage, { prefix: options.routePrefix, url: options.errorPageUrl })
  if (options.metadata) await fastify.register(metadataRoute, { options })
  if (options.managementUrl !== false && options.management === null) {
    fastify.log.warn('fastify-sentinel: the management page is off; set management.username and management.password (SENTINEL_MANAGEMENT_USERNAME / SENTINEL_MANAGEMENT_PASSWORD) to enable it')
  } else if (options.managementUrl !== false && options.management !== null) {
    if (options.management.credentials === null) {
      fastify.log.warn(`fastify-sentinel: INSECURE: the management page and API at ${options.routePrefix}${options.managementUrl} are served WITHOUT AUTHENTICATION (management.insecureNoAuth); anyone who reaches this server can create users and clients. Local development only.`)
    }
    await fastify.register(managementRoutes, {
      prefix: options.routePrefix,
      url: options.managementUrl,
      admin: fastify.sentinel.admin,
      store,
      credentials: options.management.credentials,
      template: options.management.template,
      realm: options.realm,
      requireTls: options.requireTls
    })
  }

  if (options.sweepInterval > 0) {
    // Expired tokens are swept by the plugin itself: FerretDB has no TTL indexes.
    const timer = setInterval(() => {
      grants.sweep().catch((err: Error) => fastify.log.warn({ err: { message: err.message } }, 'fastify-sentinel: sweeping expired tokens failed'))
    }, options.sweepInterval * 1000)
    timer.unref()
    fastify.addHook('onClose', async () => { clearInterval(timer) })
  }
}

export default fp(fastifySentinel, { fastify: '5.x', name: 'fastify-sentinel' })
export { fastifySentinel, configFromEnv, resolveOptions }
export { redactRequest, redactUrl } from './redact.js'
export { MemoryStore } from './store/memory.js'
export { MongoStore } from './store/mongo.js'
export { OAuthError, DuplicateKeyError, OptionsError } from './errors.js'
export type { SentinelOptions, ResolvedOptions } from './options.js'
export type { Store, UserRecord, ClientRecord, TokenRecord } from './store/types.js'
export type { AccessInfo, Introspection, TokenResponse } from './grant.js'
export type { CreateClientInput, CreatedClient, SessionInfo } from './admin.js'
