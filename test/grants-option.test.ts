import assert from 'node:assert/strict'
import { test } from 'node:test'
import Fastify from 'fastify'
import sentinel, { resolveOptions } from '../lib/index.js'
import { build, postToken, seed } from './helpers.js'

test('a grant the deployment disabled answers unsupported_grant_type, even for a client allowed it', async (t) => {
  const app = await build(t, 'memory', { grants: ['refresh_token', 'client_credentials'] })
  const { clientId, username, password } = await seed(app)
  const res = await postToken(app, { grant_type: 'password', username, password, client_id: clientId })
  assert.equal(res.statusCode, 400)
  assert.deepEqual(res.json(), { error: 'unsupported_grant_type', error_description: 'grant_type password is not supported' })
})

test('grant types that are not ours, even Object.prototype names, are unsupported_grant_type', async (t) => {
  const app = await build(t, 'memory')
  for (const grant of ['authorization_code', 'constructor', '__proto__', 'toString']) {
    const res = await postToken(app, { grant_type: grant })
    assert.equal(res.statusCode, 400, grant)
    assert.equal(res.json().error, 'unsupported_grant_type', grant)
  }
})

test('an enabled grant still works next to a disabled one', async (t) => {
  const app = await build(t, 'memory', { grants: ['password'] })
  const { clientId, username, password } = await seed(app)
  const res = await postToken(app, { grant_type: 'password', username, password, client_id: clientId })
  assert.equal(res.statusCode, 200)
  const refresh = await postToken(app, { grant_type: 'refresh_token', refresh_token: res.json().refresh_token, client_id: clientId })
  assert.equal(refresh.json().error, 'unsupported_grant_type')
})

test('the new options are validated with messages naming the option', async () => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ grants: ['implicit'] }, /option grants must be a list of password, refresh_token, client_credentials/],
    [{ grants: 'password' }, /option grants/],
    [{ issuer: 'https://a.example/?x=1' }, /option issuer must be an https URL/],
    [{ issuer: 'ftp://a.example' }, /option issuer/],
    [{ scopesSupported: ['a b'] }, /option scopesSupported/],
    [{ scopesSupported: 'read' }, /option scopesSupported/],
    [{ revokeUrl: 'revoke' }, /option revokeUrl must be a path/],
    [{ introspectUrl: 7 }, /option introspectUrl must be a path/],
    [{ errorPageUrl: '' }, /option errorPageUrl must be a path/],
    [{ metadata: 'yes' }, /option metadata must be a boolean/],
    [{ throttle: 3 }, /option throttle must be an object/],
    [{ throttle: { limit: 0 } }, /option throttle.limit must be an integer/],
    [{ throttle: { addressLimit: 1.5 } }, /option throttle.addressLimit must be an integer/],
    [{ throttle: { window: -1 } }, /option throttle.window must be an integer/]
  ]
  for (const [opts, message] of cases) {
    assert.throws(() => resolveOptions(opts as never), message, JSON.stringify(opts))
    const app = Fastify()
    await assert.rejects(async () => { await app.register(sentinel, opts as never).ready() }, message)
    await app.close()
  }
})

test('option defaults: all grants, throttle on, endpoints at their usual paths', () => {
  const o = resolveOptions({})
  assert.deepEqual(o.grants, ['password', 'refresh_token', 'client_credentials'])
  assert.deepEqual(o.throttle, { limit: 10, addressLimit: 100, window: 900 })
  assert.equal(o.revokeUrl, '/revoke')
  assert.equal(o.introspectUrl, '/introspect')
  assert.equal(o.errorPageUrl, '/errors')
  assert.equal(o.issuer, null)
  assert.equal(o.errorUri, null)
  assert.equal(resolveOptions({ throttle: false }).throttle, null)
  assert.deepEqual(resolveOptions({ scopesSupported: ['a', 'a', 'b'] }).scopesSupported, ['a', 'b'])
})
