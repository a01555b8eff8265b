import { readFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyBasicAuth from '@fastify/basic-auth'
import formbody from '@fastify/formbody'
import fastifyView from '@fastify/view'
import { Eta } from 'eta'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import {
  ClientForm, CsrfForm, ListQuery, PageParams, PasswordForm, UserForm
} from '../../schemas/management.js'
import { DEFAULT_GRANT_TYPES, GRANT_TYPES, type Admin } from '../admin.js'
import { Signer } from '../csrf.js'
import { DuplicateKeyError, OAuthError } from '../errors.js'
import type { Store } from '../store/types.js'
import { safeEqual } from '../tokens.js'
import { clientJson, managementApi, userJson } from './management-api.js'
import { isBackendError } from './errors.js'
import { requireTls } from './oauth.js'

// The package ships templates/ at its root; this file runs from dist/lib/routes/.
export const TEMPLATES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'templates')
const CSS = readFileSync(join(TEMPLATES, 'management.css'))

const PAGE_SIZE = 20

export interface ManagementOptions {
  url: string
  admin: Admin
  store: Store
  credentials: { username: string, password: string } | null
  /** Absolute path of the app's own eta file, or null for the built-in page. */
  template: string | null
  realm: string
  requireTls: boolean
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set inside the management context: the Basic-auth username ('' without auth). */
    managementIdentity: string
  }
}

// No inline script or style at all: the page is plain HTML forms and one stylesheet of ours.
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store'
}

function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

class PageError extends Error {
  constructor (readonly statusCode: number, message: string) {
    super(message)
  }
}

/** A small standalone page for failures that happen before the page can be rendered. */
function pageErrorHandler (url: string) {
  return function handler (err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
    const e = err as FastifyError
    let status = 500
    let message = 'Internal error.'
    if (err instanceof PageError || err instanceof OAuthError) {
      status = err.statusCode
      message = err.message
    } else if (e.statusCode === 401) {
      status = 401
      message = 'Management credentials are required.'
    } else if (e.validation !== undefined) {
      status = 400
      message = 'The request is malformed.'
    } else if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      status = e.statusCode
      message = 'The request is malformed.'
    } else if (isBackendError(err)) {
      request.log.error({ err }, 'fastify-sentinel: backend unavailable')
      status = 503
      message = 'The database is unavailable; try again.'
    } else {
      request.log.error({ err }, 'fastify-sentinel: internal error')
    }
    reply.code(status).type('text/html; charset=utf-8').send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Error ${status}</title></head>` +
      `<body><h1>Error ${status}</h1><p>${escapeHtml(message)}</p><p><a href="${escapeHtml(url)}">Back to the management page</a></p></body></html>`
    )
  }
}

/**
 * The management page and its JSON API, in an encapsulated context: the view, basicAuth and
 * formbody decorators never reach the host app.
 */
export async function managementRoutes (app: FastifyInstance, opts: ManagementOptions): Promise<void> {
  const { admin, store } = opts
  const base = opts.url === '/' ? '' : opts.url
  const pageUrl = base === '' ? '/' : base
  const full = (path: string): string => app.prefix + path
  const signer = new Signer(opts.credentials?.password ?? null)

  app.decorateRequest('managementIdentity', '')
  app.addHook('onRequest', async (_request, reply) => { reply.headers(PAGE_HEADERS) })
  if (opts.requireTls) app.addHook('onRequest', requireTls)
  if (opts.credentials !== null) {
    const { username, password } = opts.credentials
    await app.register(fastifyBasicAuth, {
      authenticate: { realm: opts.realm },
      validate: async (user, pass, request) => {
        // Both comparisons always run, in constant time: no early exit tells which one failed.
        const okUser = safeEqual(user, username)
        const okPass = safeEqual(pass, password)
        if (!okUser || !okPass) throw Object.assign(new Error('invalid management credentials'), { statusCode: 401 })
        request.managementIdentity = user
      }
    })
    app.addHook('onRequest', app.basicAuth)
  }

  await app.register(managementApi, { prefix: `${base}/api`, admin, store })

  await app.register(async function page (child) {
    await child.register(formbody, { bodyLimit: 16_384 })
    const root = opts.template === null ? TEMPLATES : dirname(opts.template)
    const file = opts.template === null ? 'management.eta' : basename(opts.template)
    await child.register(fastifyView, { engine: { eta: new Eta() }, root })
    child.setErrorHandler(pageErrorHandler(full(pageUrl)))

    // Every form post carries the token of the page that rendered it (checked before the body
    // schema, so that a forged post learns nothing about the fields).
    child.addHook('preValidation', async (request) => {
      if (request.method !== 'POST') return
      const token = (request.body as CsrfForm | null)?._csrf
      if (!signer.checkCsrf(request.managementIdentity, token)) {
        throw new PageError(403, 'The form token is missing or invalid (CSRF protection): reload the page and try again.')
      }
    })

    interface View {
      status?: number
      flash?: { kind: 'success' | 'error', message: string } | null
      form?: Record<string, string>
      errors?: Record<string, string>
      createdClient?: { clientId: string, clientSecret: string | null, name: string | null } | null
      query?: ListQuery
    }

    const listUrl = (q: ListQuery, change: Partial<ListQuery>): string => {
      const params = new URLSearchParams()
      for (const [k, v] of Object.entries({ ...q, ...change })) {
        if (k !== 'flash' && v !== undefined && v !== '' && v !== 0) params.set(k, String(v))
      }
      const s = params.toString()
      return full(pageUrl) + (s === '' ? '' : `?${s}`)
    }

    /** Where a list's page starts, its search, and the links to the pages before and after. */
    function pager (q: ListQuery, list: 'users' | 'clients', total: number) {
      const offset = q[`${list}_offset`] ?? 0
      const at = (o: number) => listUrl(q, { [`${list}_offset`]: o })
      return {
        total,
        offset,
        limit: PAGE_SIZE,
        search: q[`${list}_q`] ?? '',
        prev: offset > 0 ? at(Math.max(0, offset - PAGE_SIZE)) : null,
        next: offset + PAGE_SIZE < total ? at(offset + PAGE_SIZE) : null
      }
    }

    async function render (request: FastifyRequest, reply: FastifyReply, view: View): Promise<FastifyReply> {
      const q = view.query ?? {}
      const usersOffset = q.users_offset ?? 0
      const clientsOffset = q.clients_offset ?? 0
      const usersSearch = q.users_q === '' ? undefined : q.users_q
      const clientsSearch = q.clients_q === '' ? undefined : q.clients_q
      const [users, clients] = await Promise.all([
        store.listUsers({ offset: usersOffset, limit: PAGE_SIZE }, usersSearch),
        store.listClients({ offset: clientsOffset, limit: PAGE_SIZE }, clientsSearch)
      ])
      const now = new Date()
      const sessions = await Promise.all(users.items.map((u) => store.countLiveSessions(u.id, now)))
      const data = {
        title: 'fastify-sentinel management',
        identity: request.managementIdentity === '' ? null : request.managementIdentity,
        csrfToken: signer.csrfToken(request.managementIdentity),
        urls: {
          page: full(pageUrl),
          css: full(`${base}/management.css`),
          api: full(`${base}/api`),
          addUser: full(`${base}/users`),
          addClient: full(`${base}/clients`)
        },
        flash: view.flash ?? null,
        form: { username: '', clientName: '', clientType: 'public', clientScopes: '', clientGrants: [...DEFAULT_GRANT_TYPES] as string[], ...view.form },
        errors: view.errors ?? {},
        createdClient: view.createdClient ?? null,
        grantTypes: [...GRANT_TYPES],
        users: {
          items: users.items.map((u, i) => {
            const json = userJson(u, sessions[i] as number)
            const id = encodeURIComponent(u.id)
            return {
              ...json,
              urls: {
                password: full(`${base}/users/${id}/password`),
                revoke: full(`${base}/users/${id}/revoke`),
                delete: full(`${base}/users/${id}/delete`)
              }
            }
          }),
          ...pager(q, 'users', users.total)
        },
        clients: {
          items: clients.items.map((c) => ({
            ...clientJson(c),
            urls: { delete: full(`${base}/clients/${encodeURIComponent(c.clientId)}/delete`) }
          })),
          ...pager(q, 'clients', clients.total)
        }
      }
      return reply.code(view.status ?? 200).type('text/html; charset=utf-8').view(file, data)
    }

    // Post/Redirect/Get: the message rides in the query string, signed so that nobody else can
    // put words on this page.
    const done = (reply: FastifyReply, message: string): FastifyReply =>
      reply.redirect(`${full(pageUrl)}?flash=${encodeURIComponent(signer.sign(message))}`, 303)

    const failure = (err: unknown): string | null => {
      if (err instanceof DuplicateKeyError) return err.message
      if (err instanceof OAuthError && err.statusCode === 400) return err.message
      return null
    }

    child.get<{ Querystring: ListQuery }>(pageUrl, { schema: { querystring: ListQuery } }, async (request, reply) => {
      const flash = request.query.flash === undefined ? null : signer.unsign(request.query.flash)
      return render(request, reply, { query: request.query, flash: flash === null ? null : { kind: 'success', message: flash } })
    })

    child.get(`${base}/management.css`, async (_request, reply) => {
      return reply.type('text/css; charset=utf-8').header('cache-control', 'private, max-age=300').send(CSS)
    })

    child.post<{ Body: UserForm }>(`${base}/users`, { schema: { body: UserForm } }, async (request, reply) => {
      const username = request.body.username ?? ''
      try {
        const user = await admin.createUser(username, request.body.password ?? '')
        return done(reply, `User "${user.username}" created.`)
      } catch (err) {
        const message = failure(err)
        if (message === null) throw err
        // Keep what was typed, except the password.
        return render(request, reply, { status: err instanceof DuplicateKeyError ? 409 : 400, form: { username }, errors: { addUser: message }, flash: { kind: 'error', message: `User not created: ${message}` } })
      }
    })

    const userName = async (id: string): Promise<string> => {
      const user = await store.findUserById(id)
      if (user === null) throw new PageError(404, 'No such user: it may have been deleted already.')
      return user.username
    }

    child.post<{ Params: PageParams, Body: PasswordForm }>(`${base}/users/:id/password`, { schema: { params: PageParams, body: PasswordForm } }, async (request, reply) => {
      const name = await userName(request.params.id)
      try {
        await admin.setPassword(request.params.id, request.body.password ?? '')
      } catch (err) {
        const message = failure(err)
        if (message === null) throw err
        return render(request, reply, { status: 400, errors: { [`password:${request.params.id}`]: message }, flash: { kind: 'error', message: `Password of "${name}" not changed: ${message}` } })
      }
      return done(reply, `New password set for "${name}"; their sessions were revoked.`)
    })

    child.post<{ Params: PageParams, Body: CsrfForm }>(`${base}/users/:id/revoke`, { schema: { params: PageParams, body: CsrfForm } }, async (request, reply) => {
      const name = await userName(request.params.id)
      const n = await admin.revokeUserSessions(request.params.id)
      return done(reply, `Revoked ${n} session${n === 1 ? '' : 's'} of "${name}".`)
    })

    child.post<{ Params: PageParams, Body: CsrfForm }>(`${base}/users/:id/delete`, { schema: { params: PageParams, body: CsrfForm } }, async (request, reply) => {
      const name = await userName(request.params.id)
      await admin.deleteUser(request.params.id)
      return done(reply, `User "${name}" deleted; their tokens were revoked.`)
    })

    child.post<{ Body: ClientForm }>(`${base}/clients`, { schema: { body: ClientForm } }, async (request, reply) => {
      const b = request.body
      const grants = b.grant === undefined ? [] : Array.isArray(b.grant) ? b.grant : [b.grant]
      const form = { clientName: b.name ?? '', clientType: b.client_type ?? 'public', clientScopes: b.scopes ?? '' }
      try {
        if (grants.length === 0) throw new OAuthError('invalid_request', 'choose at least one grant type')
        const { client, clientSecret } = await admin.createClient({
          clientType: form.clientType as 'public',
          allowedGrantTypes: grants,
          scopes: form.clientScopes,
          ...(form.clientName !== '' && { name: form.clientName })
        })
        // Rendered, not redirected: the secret must not travel in a URL, and is shown this once.
        return render(request, reply, {
          status: 201,
          flash: { kind: 'success', message: `Client "${client.name ?? client.clientId}" created.` },
          createdClient: { clientId: client.clientId, clientSecret: clientSecret ?? null, name: client.name ?? null }
        })
      } catch (err) {
        const message = failure(err)
        if (message === null) throw err
        return render(request, reply, { status: 400, form: { ...form, clientGrants: grants } as unknown as Record<string, string>, errors: { addClient: message }, flash: { kind: 'error', message: `Client not created: ${message}` } })
      }
    })

    child.post<{ Params: PageParams, Body: CsrfForm }>(`${base}/clients/:id/delete`, { schema: { params: PageParams, body: CsrfForm } }, async (request, reply) => {
      if (!await admin.deleteClient(request.params.id)) throw new PageError(404, 'No such client: it may have been deleted already.')
      return done(reply, `Client "${request.params.id}" deleted; its tokens were revoked.`)
    })
  })
}
