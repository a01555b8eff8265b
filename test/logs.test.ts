import assert from 'node:assert/strict'
import { test } from 'node:test'
import { redactRequest, redactUrl } from '../lib/index.js'
import { bearer, FORM, form } from './helpers.js'
import { basic, buildWith, confidential, post } from './standards-helpers.js'

function capture () {
  const lines: string[] = []
  return { lines, stream: { write: (line: string) => { lines.push(line) } } }
}

test('a whole flow at level trace logs no password, client secret or token', async (t) => {
  const { lines, stream } = capture()
  // The host uses the plugin's redacting req serializer for its own routes (verify with a
  // query token); the plugin's routes redact whatever the host does.
  const app = await buildWith(t, 'memory', { allowQueryToken: true }, { logger: { level: 'trace', stream, serializers: { req: redactRequest } } })
  const password = 'correct horse battery staple'
  const wrongPassword = 'Tr0ub4dor&3-guess'
  await app.sentinel.admin.createUser('jonas', password)
  const { clientId, clientSecret } = await confidential(app)
  const auth = basic(clientId, clientSecret)

  const tokens = (await post(app, '/oauth/token', { grant_type: 'password', username: 'jonas', password }, auth)).json()
  const rotated = (await post(app, '/oauth/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, auth)).json()
  assert.equal((await app.inject({ method: 'GET', url: '/endpoint', headers: bearer(rotated.access_token) })).statusCode, 200)
  assert.equal((await app.inject({ method: 'GET', url: `/endpoint?access_token=${rotated.access_token}` })).statusCode, 200)
  assert.equal((await post(app, '/oauth/introspect', { token: rotated.access_token }, auth)).json().active, true)
  assert.equal((await post(app, '/oauth/revoke', { token: rotated.refresh_token }, auth)).statusCode, 200)
  assert.equal((await post(app, '/oauth/token', { grant_type: 'password', username: 'jonas', password: wrongPassword }, auth)).statusCode, 400)
  assert.equal((await post(app, '/oauth/token', { grant_type: 'password', username: 'jonas', password }, basic(clientId, 'not-' + clientSecret))).statusCode, 401)
  // Credentials in the URI are refused, and not logged either.
  const inUri = await app.inject({ method: 'POST', url: `/oauth/token?client_secret=${clientSecret}&password=${encodeURIComponent(password)}`, headers: FORM, payload: form({ grant_type: 'password' }) })
  assert.equal(inUri.statusCode, 400)

  const log = lines.join('')
  assert.ok(lines.length >= 18, `the flow was logged (${lines.length} lines)`)
  assert.match(log, /incoming request/)
  assert.match(log, /\[REDACTED\]/)
  const secrets = [password, encodeURIComponent(password), wrongPassword, clientSecret, auth.authorization as string, tokens.access_token, tokens.refresh_token, rotated.access_token, rotated.refresh_token]
  for (const secret of secrets) assert.ok(!log.includes(secret), `the log contains a secret: ${secret.slice(0, 6)}...`)
})

test('the plugin\'s routes redact credentials in the URL even with the host\'s default serializers', async (t) => {
  const { lines, stream } = capture()
  const app = await buildWith(t, 'memory', {}, { logger: { level: 'info', stream } })
  const res = await app.inject({ method: 'POST', url: '/oauth/revoke?token=SECRET-TOKEN-VALUE&client_secret=SECRET-CLIENT-VALUE&x=1', headers: FORM, payload: form({ token: 'y' }) })
  assert.equal(res.statusCode, 400)
  const log = lines.join('')
  assert.match(log, /"url":"\/oauth\/revoke\?token=\[REDACTED\]&client_secret=\[REDACTED\]&x=1"/)
  assert.doesNotMatch(log, /SECRET-/)
})

test('redactUrl hides credential parameters and keeps the rest', () => {
  assert.equal(redactUrl('/a'), '/a')
  assert.equal(redactUrl('/a?page=2&access_token=abc&Password=p&client%5Fsecret=s&flag'), '/a?page=2&access_token=[REDACTED]&Password=[REDACTED]&client%5Fsecret=[REDACTED]&flag')
  assert.equal(redactUrl('/a?%E0%A4%A=1&refresh_token'), '/a?%E0%A4%A=1&refresh_token=[REDACTED]')
})
