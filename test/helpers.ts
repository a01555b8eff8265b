import { randomBytes } from 'node:crypto'
import type { TestContext } from 'node:test'
import Fastify, { type FastifyInstance } from 'fastify'
import { MongoClient } from 'mongodb'
import { Redis } from 'ioredis'
import sentinel, { type SentinelOptions } from '../lib/index.js'

/** Set by test/run.ts (the servers it started, or the user's REDIS_URL / MONGODB_URL). */
export function redisUrl (): string {
  const url = process.env.REDIS_URL
  if (url === undefined || url === '') throw new Error('REDIS_URL is not set: run the suite with `npm test`')
  return url
}

export function mongoUrl (): string {
  const url = process.env.MONGODB_URL
  if (url === undefined || url === '') throw new Error('MONGODB_URL is not set: run the suite with `npm test`')
  return url
}

/** A database name / key prefix of its own for each test, so tests never see each other's data. */
export function uniqueName (label: string): string {
  return `t_${label.replace(/[^a-z0-9]/gi, '_').slice(0, 20)}_${randomBytes(4).toString('hex')}`
}

export type Backend = 'memory' | 'real'

/**
 * Builds an app with the plugin and a protected GET /endpoint. 'real' uses FerretDB and Redis
 * with a fresh database and key prefix, dropped after the test; 'memory' the embedded default.
 */
export async function build (t: TestContext, backend: Backend, opts: SentinelOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  const name = uniqueName(t.name)
  const options: SentinelOptions = { bcryptCost: 4, sweepInterval: 0, requireTls: false, ...opts }
  if (backend === 'real') {
    options.mongo = { url: mongoUrl(), database: name, ...opts.mongo }
    options.redis = { url: redisUrl(), keyPrefix: `${name}:`, ...(typeof opts.redis === 'object' ? opts.redis : {}) }
  }
  await app.register(sentinel, options)
  app.get('/endpoint', { preHandler: app.sentinel.verify }, async () => 'You made it through and accessed the protected resource!')
  app.post('/endpoint', { preHandler: app.sentinel.verify }, async (request) => request.oauth)
  t.after(async () => {
    await app.close()
    if (backend === 'real') await dropDatabase(name)
  })
  await app.ready()
  return app
}

export async function dropDatabase (name: string): Promise<void> {
  const client = new MongoClient(mongoUrl())
  try {
    await client.db(name).dropDatabase()
  } finally {
    await client.close()
  }
}

/** A raw Redis client for assertions on the mirror; closed after the test. */
export function rawRedis (t: TestContext): Redis {
  const client = new Redis(redisUrl())
  t.after(() => client.quit())
  return client
}

export function form (params: Record<string, string>): string {
  return new URLSearchParams(params).toString()
}

export const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

/** POSTs form parameters to the token endpoint. */
export function postToken (app: FastifyInstance, params: Record<string, string>, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url: '/oauth/token', headers: { ...FORM, ...headers }, payload: form(params) })
}

/** A user and a public client, ready for the password grant. */
export async function seed (app: FastifyInstance, opts: { username?: string, password?: string, scopes?: string[] } = {}) {
  const username = opts.username ?? 'jonas'
  const password = opts.password ?? 'pass'
  const user = await app.sentinel.admin.createUser(username, password)
  const { client } = await app.sentinel.admin.createClient({ name: 'test', ...(opts.scopes !== undefined && { scopes: opts.scopes }) })
  return { user, client, clientId: client.clientId, username, password }
}

export function bearer (token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` }
}

/** Management credentials used by the management tests. */
export const MANAGER = { username: 'admin', password: 'correct horse battery staple' }

export function basic (username: string, password: string): Record<string, string> {
  return { authorization: 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64') }
}

export const MANAGER_AUTH = basic(MANAGER.username, MANAGER.password)

/** The CSRF token of a rendered management page. */
export function csrfOf (html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html)
  if (match === null) throw new Error('no CSRF token in the page')
  return match[1] as string
}
