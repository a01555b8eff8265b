import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import {
  Client, ClientList, ClientParams, CreatedClient, ManagementError, NewClient, NewPassword, NewUser,
  PageQuery, SessionList, User, UserList, UserParams
} from '../../schemas/management.js'
import type { Admin } from '../admin.js'
import { DuplicateKeyError, OAuthError } from '../errors.js'
import type { ClientRecord, Store, UserRecord } from '../store/types.js'
import { isBackendError } from './errors.js'

export interface ManagementApiOptions {
  admin: Admin
  store: Store
}

/** An API failure: status and a stable error code; the body is always { error, error_description }. */
export class ApiError extends Error {
  constructor (readonly statusCode: number, readonly error: string, description: string) {
    super(description)
  }
}

const notFound = (what: string): ApiError => new ApiError(404, 'not_found', `${what} not found`)

export function userJson (user: UserRecord, sessions: number): User {
  return { id: user.id, username: user.username, created_at: user.createdAt.toISOString(), sessions }
}

export function clientJson (client: ClientRecord): Client {
  return {
    client_id: client.clientId,
    ...(client.name !== undefined && { name: client.name }),
    client_type: client.clientType,
    allowed_grant_types: client.allowedGrantTypes,
    scopes: client.scopes,
    created_at: client.createdAt.toISOString()
  }
}

function describeValidation (err: FastifyError): string {
  const first = err.validation?.[0]
  /* c8 ignore next */
  if (first === undefined) return 'the request is malformed'
  const where = String(err.validationContext)
  const missing = (first.params as { missingProperty?: string }).missingProperty
  if (missing !== undefined) return `${where}: missing field ${missing}`
  const name = first.instancePath.replace(/^\//, '').replace(/\//g, '.')
  return `${where}${name === '' ? '' : '.' + name} ${String(first.message)}`
}

function apiErrorHandler (err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  let status: number
  let body: ManagementError
  const e = err as FastifyError
  if (err instanceof ApiError) {
    status = err.statusCode
    body = { error: err.error, error_description: err.message }
  } else if (err instanceof DuplicateKeyError) {
    status = 409
    body = { error: 'conflict', error_description: err.message }
  } else if (err instanceof OAuthError && err.statusCode < 500) {
    // Admin's rule violations (empty password, bad username, bad scope) and the TLS refusal.
    status = 400
    body = { error: err.error, error_description: err.message }
  } else if (e.validation !== undefined) {
    status = 400
    body = { error: 'invalid_request', error_description: describeValidation(e) }
  } else if (e.statusCode === 401) {
    status = 401
    body = { error: 'unauthorized', error_description: 'management credentials are required (HTTP Basic)' }
  } else if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    status = e.statusCode
    body = { error: 'invalid_request', error_description: e.statusCode === 413 ? 'the request body is too large' : 'the request is malformed' }
  } else if (isBackendError(err)) {
    request.log.error({ err }, 'fastify-sentinel: backend unavailable')
    status = 503
    body = { error: 'temporarily_unavailable', error_description: 'the service is temporarily unavailable; try again' }
  } else {
    request.log.error({ err }, 'fastify-sentinel: internal error')
    status = 500
    body = { error: 'server_error', error_description: 'internal error' }
  }
  reply.code(status).header('cache-control', 'no-store').send(body)
}

const errors = { '4xx': ManagementError, '5xx': ManagementError }

/**
 * The JSON management API, {prefix}{managementUrl}/api. Basic auth and the TLS rule come from the
 * parent context.
 *
 * No CSRF token here: every request with a body must be application/json, and DELETE and PUT are
 * not simple methods, so a cross-site page can reach no state-changing route without a CORS
 * preflight, which this API never answers. A browser's cached Basic credentials are therefore
 * useless to another site.
 */
export async function managementApi (app: FastifyInstance, opts: ManagementApiOptions): Promise<void> {
  const { admin, store } = opts
  app.setErrorHandler(apiErrorHandler)
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).header('cache-control', 'no-store').send({ error: 'not_found', error_description: `no route ${request.method} ${request.url.split('?')[0] as string}` })
  })
  app.addHook('onRequest', async (request) => {
    if (request.method === 'POST' || request.method === 'PUT') {
      const type = request.headers['content-type'] ?? ''
      if (!/^application\/json\s*(;|$)/i.test(type)) throw new ApiError(415, 'invalid_request', 'send application/json')
    }
  })
  app.addHook('onSend', async (_request, reply) => { reply.header('cache-control', 'no-store') })

  const userOf = async (id: string): Promise<UserRecord> => {
    const user = await store.findUserById(id)
    if (user === null) throw notFound('user')
    return user
  }

  app.post<{ Body: NewUser }>('/users', { schema: { body: NewUser, response: { 201: User, ...errors } } }, async (request, reply) => {
    const user = await admin.createUser(request.body.username, request.body.password)
    return reply.code(201).send(userJson(user, 0))
  })

  app.get<{ Querystring: PageQuery }>('/users', { schema: { querystring: PageQuery, response: { 200: UserList, ...errors } } }, async (request) => {
    const { offset = 0, limit = 50, search } = request.query
    const { items, total } = await store.listUsers({ offset, limit }, search)
    const now = new Date()
    const sessions = await Promise.all(items.map((u) => store.countLiveSessions(u.id, now)))
    return { items: items.map((u, i) => userJson(u, sessions[i] as number)), total, offset, limit }
  })

  app.get<{ Params: UserParams }>('/users/:id', { schema: { params: UserParams, response: { 200: User, ...errors } } }, async (request) => {
    const user = await userOf(request.params.id)
    return userJson(user, await store.countLiveSessions(user.id, new Date()))
  })

  app.delete<{ Params: UserParams }>('/users/:id', { schema: { params: UserParams, response: errors } }, async (request, reply) => {
    if (!await admin.deleteUser(request.params.id)) throw notFound('user')
    return reply.code(204).send()
  })

  app.put<{ Params: UserParams, Body: NewPassword }>('/users/:id/password', { schema: { params: UserParams, body: NewPassword, response: errors } }, async (request, reply) => {
    if (!await admin.setPassword(request.params.id, request.body.password)) throw notFound('user')
    return reply.code(204).send()
  })

  app.get<{ Params: UserParams }>('/users/:id/sessions', { schema: { params: UserParams, response: { 200: SessionList, ...errors } } }, async (request) => {
    const user = await userOf(request.params.id)
    const sessions = await admin.listSessions(user.id)
    return {
      items: sessions.map((s) => ({
        family_id: s.familyId,
        client_id: s.clientId,
        scope: s.scope,
        created_at: s.createdAt.toISOString(),
        expires_at: s.expiresAt.toISOString()
      }))
    }
  })

  app.delete<{ Params: UserParams }>('/users/:id/sessions', { schema: { params: UserParams, response: errors } }, async (request, reply) => {
    const user = await userOf(request.params.id)
    await admin.revokeUserSessions(user.id)
    return reply.code(204).send()
  })

  app.post<{ Body: NewClient }>('/clients', { schema: { body: NewClient, response: { 201: CreatedClient, ...errors } } }, async (request, reply) => {
    const b = request.body
    const { client, clientSecret } = await admin.createClient({
      ...(b.name !== undefined && { name: b.name }),
      ...(b.client_type !== undefined && { clientType: b.client_type }),
      ...(b.allowed_grant_types !== undefined && { allowedGrantTypes: b.allowed_grant_types }),
      ...(b.scopes !== undefined && { scopes: b.scopes }),
      ...(b.client_id !== undefined && { clientId: b.client_id })
    })
    return reply.code(201).send({ ...clientJson(client), ...(clientSecret !== undefined && { client_secret: clientSecret }) })
  })

  app.get<{ Querystring: PageQuery }>('/clients', { schema: { querystring: PageQuery, response: { 200: ClientList, ...errors } } }, async (request) => {
    const { offset = 0, limit = 50, search } = request.query
    const { items, total } = await store.listClients({ offset, limit }, search)
    return { items: items.map(clientJson), total, offset, limit }
  })

  app.get<{ Params: ClientParams }>('/clients/:clientId', { schema: { params: ClientParams, response: { 200: Client, ...errors } } }, async (request) => {
    const client = await store.findClient(request.params.clientId)
    if (client === null) throw notFound('client')
    return clientJson(client)
  })

  app.delete<{ Params: ClientParams }>('/clients/:clientId', { schema: { params: ClientParams, response: errors } }, async (request, reply) => {
    if (!await admin.deleteClient(request.params.clientId)) throw notFound('client')
    return reply.code(204).send()
  })
}
