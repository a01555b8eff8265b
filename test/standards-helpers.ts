import type { TestContext } from 'node:test'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import sentinel, { type SentinelOptions } from '../lib/index.js'
import { dropDatabase, FORM, form, mongoUrl, redisUrl, uniqueName, type Backend } from './helpers.js'

/**
 * Like helpers.build, with Fastify options of our own (a logger, trustProxy) and, for 'real', an
 * explicit database and key prefix so that several instances can share one backend.
 */
export async function buildWith (t: TestContext, backend: Backend, opts: SentinelOptions = {}, fastifyOpts: FastifyServerOptions = {}, shared?: string): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, ...fastifyOpts })
  const name = shared ?? uniqueName(t.name)
  const options: SentinelOptions = { bcryptCost: 4, sweepInterval: 0, requireTls: false, ...opts }
  if (backend === 'real') {
    options.mongo = { url: mongoUrl(), database: name }
    options.redis = { url: redisUrl(), keyPrefix: `${name}:` }
  }
  await app.register(sentinel, options)
  app.get('/endpoint', { preHandler: app.sentinel.verify }, async (request) => request.oauth)
  t.after(async () => {
    await app.close()
    if (backend === 'real' && shared === undefined) await dropDatabase(name)
  })
  await app.ready()
  return app
}

/** Two (or more) instances on one database and key prefix, as behind a load balancer. */
export async function buildCluster (t: TestContext, count: number, opts: SentinelOptions = {}): Promise<FastifyInstance[]> {
  const name = uniqueName(t.name)
  const apps: FastifyInstance[] = []
  for (let i = 0; i < count; i++) apps.push(await buildWith(t, 'real', opts, {}, name))
  t.after(() => dropDatabase(name))
  return apps
}

/** RFC 6749 section 2.3.1: form-urlencode id and secret, join with ":", base64. */
export function basic (id: string, secret: string): Record<string, string> {
  const enc = (v: string) => encodeURIComponent(v).replace(/%20/g, '+')
  return { authorization: 'Basic ' + Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64') }
}

export async function confidential (app: FastifyInstance, input: { scopes?: string[], allowedGrantTypes?: string[], clientId?: string } = {}) {
  const { client, clientSecret } = await app.sentinel.admin.createClient({
    clientType: 'confidential',
    allowedGrantTypes: input.allowedGrantTypes ?? ['password', 'refresh_token', 'client_credentials'],
    ...(input.scopes !== undefined && { scopes: input.scopes }),
    ...(input.clientId !== undefined && { clientId: input.clientId })
  })
  return { client, clientId: client.clientId, clientSecret: clientSecret as string }
}

export function post (app: FastifyInstance, url: string, params: Record<string, string>, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url, headers: { ...FORM, ...headers }, payload: form(params) })
}
