import assert from 'node:assert/strict'
import { test } from 'node:test'
import { build, postToken } from './helpers.js'
import { ERROR_CODES } from '../lib/routes/error-page.js'

test('the errors page explains every error code, as static HTML without script', async (t) => {
  const app = await build(t, 'memory')
  const res = await app.inject({ method: 'GET', url: '/oauth/errors' })
  assert.equal(res.statusCode, 200)
  assert.equal(res.headers['content-type'], 'text/html; charset=utf-8')
  assert.match(res.headers['content-security-policy'] as string, /default-src 'none'/)
  for (const code of ['invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope', 'unsupported_token_type', 'invalid_token', 'insufficient_scope', 'slow_down']) {
    assert.match(res.body, new RegExp(`<dt id="${code}">`), code)
  }
  assert.equal(ERROR_CODES.length, 12)
  assert.doesNotMatch(res.body, /<script/i)
})

test('by default errors carry no error_uri; with errorUri set, every error does', async (t) => {
  const plain = await build(t, 'memory')
  const a = await postToken(plain, { grant_type: 'magic' })
  assert.deepEqual(Object.keys(a.json()).sort(), ['error', 'error_description'])

  const app = await build(t, 'memory', { errorUri: 'https://auth.example.com/oauth/errors' })
  const b = await postToken(app, { grant_type: 'magic' })
  assert.equal(b.json().error, 'unsupported_grant_type')
  assert.equal(b.json().error_uri, 'https://auth.example.com/oauth/errors')
  const c = await postToken(app, { grant_type: 'password' })
  assert.equal(c.json().error_uri, 'https://auth.example.com/oauth/errors')
})

test('errorPageUrl moves or removes the page', async (t) => {
  const moved = await build(t, 'memory', { errorPageUrl: '/help/errors' })
  assert.equal((await moved.inject({ method: 'GET', url: '/oauth/help/errors' })).statusCode, 200)
  const off = await build(t, 'memory', { errorPageUrl: false })
  assert.equal((await off.inject({ method: 'GET', url: '/oauth/errors' })).statusCode, 404)
})
