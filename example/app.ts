/**
 * flask-sentinel's demo, on fastify-sentinel: a provider with the protected GET /endpoint.
 * Configured like a flask-sentinel deployment, through its environment variable names.
 */
import { randomBytes } from 'node:crypto'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import sentinel, { configFromEnv } from '../lib/index.js'

export interface ExampleOptions {
  env?: Record<string, string | undefined>
  https?: { key: string, cert: string } | null
  logger?: FastifyServerOptions['logger']
}

export interface Example {
  app: FastifyInstance
  /** The demo user and client, created on the embedded default only. */
  demo: { username: string, password: string, clientId: string } | null
  /** The management page: its path, and the credentials when the example generated them. */
  management: { path: string, generated: { username: string, password: string } | null } | null
}

export async function createExample (opts: ExampleOptions = {}): Promise<Example> {
  const env = opts.env ?? process.env
  // One instance type for both: the routes do not care whether TLS is on.
  const app = (opts.https != null
    ? Fastify({ logger: opts.logger ?? false, https: opts.https })
    : Fastify({ logger: opts.logger ?? false })) as unknown as FastifyInstance
  const config = configFromEnv(env)
  let generated: { username: string, password: string } | null = null
  if (config.management === undefined && config.mongo === undefined) {
    // The embedded default, for trying things out: turn the page on with a password nobody
    // could guess, printed at start. With a database, only configured credentials turn it on.
    generated = { username: 'admin', password: randomBytes(18).toString('base64url') }
    config.management = generated
  }
  await app.register(sentinel, config)

  app.get('/endpoint', { preHandler: app.sentinel.verify }, async () =>
    'You made it through and accessed the protected resource!')

  await app.ready()

  let demo: Example['demo'] = null
  if (app.sentinel.backends.store === 'memory') {
    // Nothing persists on the embedded default, so give the visitor something to log in with.
    const username = 'jonas'
    const password = 'pass'
    await app.sentinel.admin.createUser(username, password)
    const { client } = await app.sentinel.admin.createClient({ name: 'demo client' })
    demo = { username, password, clientId: client.clientId }
  }
  const { routePrefix, managementUrl } = app.sentinel.options
  const management = managementUrl === false || app.sentinel.options.management === null
    ? null
    : { path: `${routePrefix}${managementUrl}`, generated }
  return { app, demo, management }
}

/** The three commands of flask-sentinel's README, filled in for this server. */
export function curlSession (base: string, prefix: string, demo: NonNullable<Example['demo']>): string[] {
  return [
    `curl -k -X POST -d "client_id=${demo.clientId}&grant_type=password&username=${demo.username}&password=${demo.password}" ${base}${prefix}/token`,
    `curl -k -H "Authorization: Bearer ACCESS_TOKEN" ${base}/endpoint`,
    `curl -k -X POST -d "client_id=${demo.clientId}&grant_type=refresh_token&refresh_token=REFRESH_TOKEN" ${base}${prefix}/token`
  ]
}
