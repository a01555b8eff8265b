import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { MongoClient } from 'mongodb'
import { OptionsError } from './errors.js'
import type { Store } from './store/types.js'

export interface SentinelOptions {
  /** Prefix of every route of the provider. Default '/oauth'. */
  routePrefix?: string
  /** Token endpoint path under the prefix; false disables it. Default '/token'. */
  tokenUrl?: string | false
  /** Management page path under the prefix; false disables it. Default '/management'. */
  managementUrl?: string | false
  /**
   * The management page and API. Basic auth credentials: without them the routes stay off.
   * `template`: your own eta file for the page (receives the data documented in the README).
   * `insecureNoAuth`: serve the routes with no authentication, for local development only.
   */
  management?: { username?: string, password?: string, template?: string, insecureNoAuth?: boolean }
  /**
   * MongoDB. Reuses fastify.mongo when the host registered @fastify/mongodb; otherwise connects
   * to `url`. Without either, the embedded memory store is used.
   */
  mongo?: { url?: string, database?: string, client?: MongoClient }
  /**
   * Redis token mirror. Reuses fastify.redis when the host registered @fastify/redis; otherwise
   * connects to `url` (default redis://localhost:6379/0) when this option is given.
   */
  redis?: { url?: string, keyPrefix?: string, legacyMirror?: boolean } | boolean
  /** A Store of your own, instead of MongoDB or memory. */
  store?: Store
  /** Access token lifetime in seconds. Default 3600 (flask-sentinel's OAUTH2_PROVIDER_TOKEN_EXPIRES_IN). */
  accessTokenTtl?: number
  /** Refresh token lifetime in seconds. Default 14 days. */
  refreshTokenTtl?: number
  /** bcrypt cost factor for new and upgraded password hashes. Default 12. */
  bcryptCost?: number
  /** realm of WWW-Authenticate challenges. Default 'fastify-sentinel'. */
  realm?: string
  /** Accept the access_token query parameter in verify (RFC 6750 section 2.3). Default false. */
  allowQueryToken?: boolean
  /** Error page URI: when set, error responses carry error_uri. */
  errorUri?: string
  /**
   * Refuse the provider's routes over plain HTTP (RFC 6749 sections 1.6, 3.2): requests must arrive
   * by TLS, or through a trusted proxy that terminated it (Fastify's trustProxy and
   * X-Forwarded-Proto). Default true; set false for local development and tests only.
   */
  requireTls?: boolean
  /** How often expired tokens are swept from the store, in seconds; 0 disables. Default 600. */
  sweepInterval?: number
  /** Revocation endpoint (RFC 7009) under the prefix; false disables it. Default '/revoke'. */
  revokeUrl?: string | false
  /** Introspection endpoint (RFC 7662) under the prefix; false disables it. Default '/introspect'. */
  introspectUrl?: string | false
  /** The page explaining each error code, under the prefix; false disables it. Default '/errors'. */
  errorPageUrl?: string | false
  /**
   * The issuer identifier of the metadata document (RFC 8414 section 2): an https URL without
   * query or fragment. Default: derived from each request's scheme and host.
   */
  issuer?: string
  /** scopes_supported of the metadata document. Default: omitted. */
  scopesSupported?: string[]
  /** Serve /.well-known/oauth-authorization-server (RFC 8414). Default true. */
  metadata?: boolean
  /** The grant types this deployment accepts; others answer unsupported_grant_type. Default all three. */
  grants?: Array<'password' | 'refresh_token' | 'client_credentials'>
  /**
   * Brute-force throttling of failed logins and client authentications (RFC 6749 sections 2.3.1,
   * 4.3.2), counted in Redis when configured, else in memory. false disables it.
   * Defaults: 10 failures per username or client, 100 per client address, in a 900 s window.
   */
  throttle?: { limit?: number, addressLimit?: number, window?: number } | false
}

export interface ResolvedOptions {
  routePrefix: string
  tokenUrl: string | false
  managementUrl: string | false
  /** null: the management routes are off. credentials null: insecureNoAuth. */
  management: { credentials: { username: string, password: string } | null, template: string | null } | null
  mongo: { url?: string, database: string, client?: MongoClient } | null
  /** null: no mirror. url null: only a host-registered fastify.redis is used. */
  redis: { url: string | null, keyPrefix: string, legacyMirror: boolean } | null
  store: Store | null
  accessTokenTtl: number
  refreshTokenTtl: number
  bcryptCost: number
  realm: string
  allowQueryToken: boolean
  errorUri: string | null
  requireTls: boolean
  sweepInterval: number
  revokeUrl: string | false
  introspectUrl: string | false
  errorPageUrl: string | false
  issuer: string | null
  scopesSupported: string[]
  metadata: boolean
  grants: Array<'password' | 'refresh_token' | 'client_credentials'>
  throttle: { limit: number, addressLimit: number, window: number } | null
}

export const SUPPORTED_GRANTS = ['password', 'refresh_token', 'client_credentials'] as const

const DEFAULT_REDIS_URL = 'redis://localhost:6379/0'

function fail (message: string): never {
  throw new OptionsError(`fastify-sentinel: ${message}`)
}

function path (name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || !/^\/[^\s?#]*$/.test(value)) fail(`option ${name} must be a path starting with "/", got ${JSON.stringify(value)}`)
  return value.length > 1 ? value.replace(/\/+$/, '') : value
}

function routePath (name: string, value: unknown, fallback: string): string | false {
  if (value === false) return false
  return path(name, value, fallback)
}

function integer (name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(`option ${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`)
  }
  return value
}

function text (name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.length === 0) fail(`option ${name} must be a non-empty string`)
  return value
}

function bool (name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') fail(`option ${name} must be a boolean`)
  return value
}

function object (name: string, value: unknown): Record<string, unknown> | undefined {
  if (value === undefined) return undefined
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(`option ${name} must be an object`)
  return value as Record<string, unknown>
}

/** Validates the options first, each failure naming its option, then builds a fresh object with defaults. */
export function resolveOptions (opts: SentinelOptions = {}): ResolvedOptions {
  const routePrefix = path('routePrefix', opts.routePrefix, '/oauth')

  const management = object('management', opts.management)
  const username = text('management.username', management?.username)
  const password = text('management.password', management?.password)
  if ((username === undefined) !== (password === undefined)) fail('options management.username and management.password must be given together')
  const insecureNoAuth = bool('management.insecureNoAuth', management?.insecureNoAuth, false)
  if (insecureNoAuth && username !== undefined) fail('option management.insecureNoAuth cannot be combined with management.username and management.password')
  let template = text('management.template', management?.template) ?? null
  if (template !== null) {
    template = resolve(template)
    if (!template.endsWith('.eta') || !existsSync(template)) fail(`option management.template must name an existing .eta file, got ${JSON.stringify(management?.template)}`)
  }

  const mongo = object('mongo', opts.mongo)
  const mongoUrl = text('mongo.url', mongo?.url)
  if (mongoUrl !== undefined && !/^mongodb(\+srv)?:\/\//.test(mongoUrl)) fail('option mongo.url must be a mongodb:// or mongodb+srv:// URL')

  // undefined: reuse the host's fastify.redis if it has one; false: no mirror; true or an
  // object: connect (to redis://localhost:6379/0 unless a URL is given) unless the host has one.
  let redis: ResolvedOptions['redis'] = null
  if (opts.redis !== false) {
    const r = opts.redis === undefined || opts.redis === true ? {} : object('redis', opts.redis) as Record<string, unknown>
    const url = text('redis.url', r.url) ?? (opts.redis === undefined ? null : DEFAULT_REDIS_URL)
    if (url !== null && !/^rediss?:\/\//.test(url)) fail('option redis.url must be a redis:// or rediss:// URL')
    const keyPrefix = r.keyPrefix === undefined ? 'sentinel:' : r.keyPrefix
    if (typeof keyPrefix !== 'string') fail('option redis.keyPrefix must be a string')
    redis = { url, keyPrefix, legacyMirror: bool('redis.legacyMirror', r.legacyMirror, false) }
  }

  const store = opts.store ?? null
  if (store !== null && (typeof store !== 'object' || typeof store.findToken !== 'function')) fail('option store must implement the Store interface')

  const errorUri = text('errorUri', opts.errorUri) ?? null

  const issuer = text('issuer', opts.issuer) ?? null
  // RFC 8414 section 2: a URL using the https scheme with no query or fragment components.
  if (issuer !== null && !/^https?:\/\/[^\s?#]+$/.test(issuer)) fail('option issuer must be an https URL (http for development only) without query or fragment')

  let scopesSupported: string[] = []
  if (opts.scopesSupported !== undefined) {
    if (!Array.isArray(opts.scopesSupported) || opts.scopesSupported.some((s) => typeof s !== 'string' || !/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(s))) {
      fail('option scopesSupported must be a list of scope tokens (RFC 6749 section 3.3)')
    }
    scopesSupported = [...new Set(opts.scopesSupported)]
  }

  let grants: ResolvedOptions['grants'] = [...SUPPORTED_GRANTS]
  if (opts.grants !== undefined) {
    if (!Array.isArray(opts.grants) || opts.grants.some((g) => !(SUPPORTED_GRANTS as readonly string[]).includes(g))) {
      fail(`option grants must be a list of ${SUPPORTED_GRANTS.join(', ')}`)
    }
    grants = [...new Set(opts.grants)]
  }

  let throttle: ResolvedOptions['throttle'] = null
  if (opts.throttle !== false) {
    const th = object('throttle', opts.throttle) ?? {}
    throttle = {
      limit: integer('throttle.limit', th.limit, 10, 1, 1_000_000),
      addressLimit: integer('throttle.addressLimit', th.addressLimit, 100, 1, 1_000_000),
      window: integer('throttle.window', th.window, 900, 1, 86_400)
    }
  }

  return {
    routePrefix: routePrefix === '/' ? '' : routePrefix,
    tokenUrl: routePath('tokenUrl', opts.tokenUrl, '/token'),
    managementUrl: routePath('managementUrl', opts.managementUrl, '/management'),
    management: username !== undefined && password !== undefined
      ? { credentials: { username, password }, template }
      : insecureNoAuth ? { credentials: null, template } : null,
    mongo: mongo === undefined
      ? null
      : {
          ...(mongoUrl !== undefined && { url: mongoUrl }),
          ...(mongo.client !== undefined && { client: mongo.client as MongoClient }),
          database: text('mongo.database', mongo.database) ?? 'oauth'
        },
    redis,
    store,
    accessTokenTtl: integer('accessTokenTtl', opts.accessTokenTtl, 3600, 1, 31_536_000),
    refreshTokenTtl: integer('refreshTokenTtl', opts.refreshTokenTtl, 14 * 86_400, 1, 31_536_000 * 5),
    bcryptCost: integer('bcryptCost', opts.bcryptCost, 12, 4, 31),
    realm: text('realm', opts.realm) ?? 'fastify-sentinel',
    allowQueryToken: bool('allowQueryToken', opts.allowQueryToken, false),
    errorUri,
    requireTls: bool('requireTls', opts.requireTls, true),
    sweepInterval: integer('sweepInterval', opts.sweepInterval, 600, 0, 86_400),
    revokeUrl: routePath('revokeUrl', opts.revokeUrl, '/revoke'),
    introspectUrl: routePath('introspectUrl', opts.introspectUrl, '/introspect'),
    errorPageUrl: routePath('errorPageUrl', opts.errorPageUrl, '/errors'),
    issuer: issuer?.replace(/\/+$/, '') ?? null,
    scopesSupported,
    metadata: bool('metadata', opts.metadata, true),
    grants,
    throttle
  }
}

function envFalse (value: string): boolean {
  return /^(false|0|no|off)$/i.test(value)
}

/**
 * Maps flask-sentinel's settings names to options, so that a deployment moves over by keeping its
 * environment. Unset variables leave the defaults.
 */
export function configFromEnv (env: Record<string, string | undefined> = process.env): SentinelOptions {
  const opts: SentinelOptions = {}
  const get = (name: string): string | undefined => {
    const value = env[name]
    return value === undefined || value === '' ? undefined : value
  }
  const prefix = get('SENTINEL_ROUTE_PREFIX')
  if (prefix !== undefined) opts.routePrefix = prefix
  const tokenUrl = get('SENTINEL_TOKEN_URL')
  if (tokenUrl !== undefined) opts.tokenUrl = envFalse(tokenUrl) ? false : tokenUrl
  const managementUrl = get('SENTINEL_MANAGEMENT_URL')
  if (managementUrl !== undefined) opts.managementUrl = envFalse(managementUrl) ? false : managementUrl
  const redisUrl = get('SENTINEL_REDIS_URL')
  if (redisUrl !== undefined) opts.redis = { url: redisUrl }
  const mongoUrl = get('SENTINEL_MONGO_URI')
  const mongoDb = get('SENTINEL_MONGO_DBNAME')
  // flask-sentinel always used MongoDB, on localhost unless told otherwise: a database name
  // alone still means MongoDB.
  if (mongoUrl !== undefined || mongoDb !== undefined) {
    opts.mongo = { url: mongoUrl ?? 'mongodb://localhost:27017', ...(mongoDb !== undefined && { database: mongoDb }) }
  }
  const username = get('SENTINEL_MANAGEMENT_USERNAME')
  const password = get('SENTINEL_MANAGEMENT_PASSWORD')
  if (username !== undefined || password !== undefined) {
    opts.management = { ...(username !== undefined && { username }), ...(password !== undefined && { password }) }
  }
  const ttl = get('OAUTH2_PROVIDER_TOKEN_EXPIRES_IN')
  if (ttl !== undefined) opts.accessTokenTtl = /^\d+$/.test(ttl) ? Number(ttl) : (ttl as unknown as number)
  const errorUri = get('OAUTH2_PROVIDER_ERROR_URI')
  if (errorUri !== undefined) opts.errorUri = errorUri
  return opts
}
